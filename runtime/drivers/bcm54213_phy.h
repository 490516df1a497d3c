/*
 * The Pi 4's Ethernet PHY, a Broadcom BCM54213PE on the GENET's MDIO bus (address 1, RGMII),
 * driven through the IEEE 802.3 clause 22 registers every 10/100/1000BASE-T PHY has. Only
 * standard registers are used: the PHY's own delays and LEDs stay as the board strapped them.
 */
#ifndef UK_DRIVERS_BCM54213_PHY_H
#define UK_DRIVERS_BCM54213_PHY_H

#include <stdbool.h>
#include <stdint.h>

/* IEEE 802.3 clause 22.2.4 management registers */
#define MII_BMCR	   0x00
#define BMCR_RESET	   (1u << 15) /* self-clearing */
#define BMCR_ANENABLE	   (1u << 12)
#define BMCR_ANRESTART	   (1u << 9) /* self-clearing */
#define MII_BMSR	   0x01
#define BMSR_LSTATUS	   (1u << 2) /* latched low: 0 if the link dropped since last read */
#define BMSR_ANEGCOMPLETE  (1u << 5)
#define MII_PHYSID1	   0x02
#define MII_PHYSID2	   0x03
#define MII_ADVERTISE	   0x04 /* ours; MII_LPA is the partner's, same layout */
#define MII_LPA		   0x05
#define ADVERTISE_CSMA	   0x0001 /* selector: IEEE 802.3 */
#define ADVERTISE_10HALF   0x0020
#define ADVERTISE_10FULL   0x0040
#define ADVERTISE_100HALF  0x0080
#define ADVERTISE_100FULL  0x0100
#define MII_CTRL1000	   0x09 /* 1000BASE-T control (clause 40.5.1.1) */
#define ADVERTISE_1000HALF 0x0100
#define ADVERTISE_1000FULL 0x0200
#define MII_STAT1000	   0x0a /* 1000BASE-T status: what the partner offers */
#define LPA_1000HALF	   0x0400
#define LPA_1000FULL	   0x0800
#define BCM54213PE_ID	   0x600d84a0u /* PHYSID1 << 16 | PHYSID2, revision bits clear */
#define BCM54213PE_ID_MASK 0xfffffff0u
#define PHY_ADVERTISE_DEFAULT                                                                      \
	(ADVERTISE_CSMA | ADVERTISE_10HALF | ADVERTISE_10FULL | ADVERTISE_100HALF |                \
	 ADVERTISE_100FULL)
#define PHY_CTRL1000_DEFAULT (ADVERTISE_1000HALF | ADVERTISE_1000FULL)

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

/* The link the PHY negotiated, from its registers: the highest mode both ends advertise
 * (IEEE 802.3 annex 28B.3 priority). Pure. */
struct phy_link phy_resolve(uint16_t bmsr, uint16_t advertise, uint16_t lpa, uint16_t ctrl1000,
			    uint16_t stat1000);

#endif
