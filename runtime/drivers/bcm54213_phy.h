/*
 * The Pi 4's Ethernet PHY, a Broadcom BCM54213PE on the GENET's MDIO bus (address 1, RGMII),
 * driven through the IEEE 802.3 clause 22 registers every 10/100/1000BASE-T PHY has, plus,
 * when asked (genet.rgmii=rxid), the two Broadcom shadow registers that hold its RGMII clock
 * delays. Otherwise the PHY's delays and LEDs stay as the board strapped them.
 */
#ifndef UK_DRIVERS_BCM54213_PHY_H
#define UK_DRIVERS_BCM54213_PHY_H

#include <stdbool.h>
#include <stdint.h>

#include "mii.h" /* the clause 22 registers and mii_resolve */

#define BCM54213PE_ID	      0x600d84a0u /* PHYSID1 << 16 | PHYSID2, revision bits clear */
#define BCM54213PE_ID_MASK    0xfffffff0u
#define PHY_ADVERTISE_DEFAULT (ADVERTISE_CSMA | ADVERTISE_10_100)
#define PHY_CTRL1000_DEFAULT  (ADVERTISE_1000HALF | ADVERTISE_1000FULL)

/* Clause 22 access to one PHY: read returns the 16-bit value or -errno. Thread context. */
struct mdio {
	int (*read)(void *ctx, unsigned reg);
	int (*write)(void *ctx, unsigned reg, uint16_t value);
	void *ctx;
};

struct phy_link {
	bool up;
	bool full_duplex;
	unsigned speed; /* 10, 100 or 1000 (Mbit/s); 0 when down */
};

/* Resets the PHY, advertises 10/100/1000 half and full duplex and (re)starts
 * auto-negotiation; does not wait for a link. Returns the PHY's id (PHYSID1 << 16 | PHYSID2)
 * or -errno. Thread context (sleeps while the reset completes). */
long phy_start(const struct mdio *m);

/* Sets the PHY's RGMII delays as Linux's broadcom PHY driver does for phy-mode "rgmii-rxid"
 * (bcm54xx_config_clock_delay, which the Raspberry Pi kernel runs for the BCM54213PE): RXC-RXD
 * skew on (the PHY delays the receive clock), GTXCLK delay off (the MAC delays the transmit
 * clock). Returns 0 or -errno. Thread context. */
int bcm54213_rgmii_rxid(const struct mdio *m);

/* The link the PHY negotiated, from its registers: up once auto-negotiation completed on a
 * live link with a mode both ends advertise (mii_resolve picks the highest). Pure. */
struct phy_link phy_resolve(uint16_t bmsr, uint16_t advertise, uint16_t lpa, uint16_t ctrl1000,
			    uint16_t stat1000);

#endif
