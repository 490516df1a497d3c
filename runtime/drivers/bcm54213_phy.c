/*
 * BCM54213PE Ethernet PHY (the Pi 4's) over clause 22 MDIO: reset, auto-negotiation and link
 * resolution from the IEEE 802.3 registers (clause 22.2.4, clause 28 annex 28B, clause 40.5).
 * The MDIO transport belongs to the MAC (drivers/genet.c).
 */
#include <errno.h>

#include <uk/thread.h>
#include <uk/time.h>

#include "bcm54213_phy.h"

#define RESET_TIMEOUT_MS 500 /* clause 22.2.4.1.1: reset completes within 0.5 s */

/* Broadcom vendor registers, as Linux's include/linux/brcmphy.h and bcm-phy-lib.c use them
 * (Broadcom publishes no BCM54213PE datasheet). */
#define AUX_CTL		 0x18	    /* auxiliary control: 8 shadow registers, selector 2:0 */
#define AUX_SHDW_MISC	 7	    /* its "miscellaneous control" shadow */
#define AUX_READ_SHIFT	 12	    /* which shadow the next read of AUX_CTL returns */
#define AUX_MISC_WREN	 (1u << 15) /* misc control: write enable */
#define AUX_MISC_RX_SKEW (1u << 8)  /* RGMII RXC-RXD skew: the PHY delays RXC by ~2 ns */
#define SHD		 0x1c	    /* the "1c" shadow registers: selector 14:10, data 9:0 */
#define SHD_WRITE	 (1u << 15)
#define SHD_SEL(n)	 ((uint16_t)(n) << 10)
#define SHD_DATA	 0x03ffu
#define SHD_CLK_CTL	 0x03	   /* clock alignment control */
#define SHD_GTXCLK_DELAY (1u << 9) /* the PHY delays GTXCLK (the MAC's TXC) by ~2 ns */

long phy_start(const struct mdio *m)
{
	int id1 = m->read(m->ctx, MII_PHYSID1), id2 = m->read(m->ctx, MII_PHYSID2);
	if (id1 < 0 || id2 < 0)
		return id1 < 0 ? id1 : id2;
	if ((id1 == 0 && id2 == 0) || (id1 == 0xffff && id2 == 0xffff))
		return -ENODEV; /* nobody answers at this address */

	int r = m->write(m->ctx, MII_BMCR, BMCR_RESET);
	if (r < 0)
		return r;
	for (unsigned ms = 0;; ms++) {
		int bmcr = m->read(m->ctx, MII_BMCR);
		if (bmcr < 0)
			return bmcr;
		if (!(bmcr & BMCR_RESET))
			break;
		if (ms == RESET_TIMEOUT_MS)
			return -ETIMEDOUT;
		uk_thread_sleep_until(uk_now_ns() + 1000000);
	}
	if ((r = m->write(m->ctx, MII_ADVERTISE, PHY_ADVERTISE_DEFAULT)) < 0 ||
	    (r = m->write(m->ctx, MII_CTRL1000, PHY_CTRL1000_DEFAULT)) < 0 ||
	    (r = m->write(m->ctx, MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART)) < 0)
		return r;
	return (long)((uint32_t)id1 << 16 | (uint32_t)id2);
}

int bcm54213_rgmii_rxid(const struct mdio *m)
{
	/* misc control: select it for reading, read it, write it back with the skew on */
	int r = m->write(m->ctx, AUX_CTL, AUX_SHDW_MISC << AUX_READ_SHIFT | AUX_SHDW_MISC);
	int misc = r < 0 ? r : m->read(m->ctx, AUX_CTL);
	if (misc < 0)
		return misc;
	r = m->write(m->ctx, AUX_CTL,
		     (uint16_t)(misc | AUX_MISC_WREN | AUX_MISC_RX_SKEW | AUX_SHDW_MISC));
	if (r < 0)
		return r;
	/* clock alignment control: select, read, write back without the GTXCLK delay */
	r = m->write(m->ctx, SHD, SHD_SEL(SHD_CLK_CTL));
	int clk = r < 0 ? r : m->read(m->ctx, SHD);
	if (clk < 0)
		return clk;
	return m->write(m->ctx, SHD,
			SHD_WRITE | SHD_SEL(SHD_CLK_CTL) | (clk & SHD_DATA & ~SHD_GTXCLK_DELAY));
}

struct phy_link phy_resolve(uint16_t bmsr, uint16_t advertise, uint16_t lpa, uint16_t ctrl1000,
			    uint16_t stat1000)
{
	struct phy_link l = {0};
	if (!(bmsr & BMSR_LSTATUS) || !(bmsr & BMSR_ANEGCOMPLETE))
		return l;
	struct mii_mode m = mii_resolve(advertise, lpa, ctrl1000, stat1000);
	l.up = m.speed != 0; /* negotiated, yet nothing in common: down */
	l.speed = m.speed;
	l.full_duplex = m.full_duplex;
	return l;
}
