/*
 * IEEE 802.3 clause 22 management registers every 10/100(/1000)BASE-T PHY has (22.2.4), with
 * the 1000BASE-T control and status registers of clause 40.5.1.1, and the one decision all MAC
 * drivers make from them: which speed and duplex auto-negotiation settled on (annex 28B.3).
 * GENET's PHY (bcm54213_phy.c) and the USB Ethernet chips (usb_ether.c) take them from here.
 * Vendor registers (interrupt source/mask and the like) stay in each driver.
 */
#ifndef UK_DRIVERS_MII_H
#define UK_DRIVERS_MII_H

#include <stdbool.h>
#include <stdint.h>

#define MII_BMCR	  0x00	     /* basic mode control */
#define BMCR_RESET	  (1u << 15) /* self-clearing */
#define BMCR_ANENABLE	  (1u << 12)
#define BMCR_ANRESTART	  (1u << 9) /* self-clearing */
#define MII_BMSR	  0x01	    /* basic mode status */
#define BMSR_LSTATUS	  (1u << 2) /* latched low: read twice for the current state */
#define BMSR_ANEGCOMPLETE (1u << 5)
#define MII_PHYSID1	  0x02
#define MII_PHYSID2	  0x03
#define MII_ADVERTISE	  0x04 /* ours; MII_LPA is the partner's, same layout (annex 28B.2) */
#define MII_LPA		  0x05
#define ADVERTISE_CSMA	  0x0001 /* selector: IEEE 802.3 */
#define ADVERTISE_10HALF  0x0020
#define ADVERTISE_10FULL  0x0040
#define ADVERTISE_100HALF 0x0080
#define ADVERTISE_100FULL 0x0100
#define ADVERTISE_10_100                                                                           \
	(ADVERTISE_10HALF | ADVERTISE_10FULL | ADVERTISE_100HALF | ADVERTISE_100FULL)
#define MII_CTRL1000	   0x09 /* 1000BASE-T control: what we offer */
#define ADVERTISE_1000HALF 0x0100
#define ADVERTISE_1000FULL 0x0200
#define MII_STAT1000	   0x0a /* 1000BASE-T status: what the partner offers */
#define LPA_1000HALF	   0x0400
#define LPA_1000FULL	   0x0800

struct mii_mode {
	unsigned speed; /* 10, 100 or 1000 (Mbit/s); 0 when the two ends have nothing in common */
	bool full_duplex;
};

/*
 * The highest mode both ends advertise, by annex 28B.3's priority: 1000 full, 1000 half, 100
 * full, 100 half, 10 full, 10 half. A 10/100 PHY passes 0 for ctrl1000 and stat1000. STAT1000's
 * partner bits sit two places above CTRL1000's advertisement bits (clause 40.5.1.1).
 */
static inline struct mii_mode mii_resolve(uint16_t advertise, uint16_t lpa, uint16_t ctrl1000,
					  uint16_t stat1000)
{
	unsigned gig = ctrl1000 & (unsigned)(stat1000 >> 2), common = advertise & lpa;
	struct mii_mode m = {0, false};
	if (gig & (ADVERTISE_1000FULL | ADVERTISE_1000HALF))
		m.speed = 1000, m.full_duplex = (gig & ADVERTISE_1000FULL) != 0;
	else if (common & (ADVERTISE_100FULL | ADVERTISE_100HALF))
		m.speed = 100, m.full_duplex = (common & ADVERTISE_100FULL) != 0;
	else if (common & (ADVERTISE_10FULL | ADVERTISE_10HALF))
		m.speed = 10, m.full_duplex = (common & ADVERTISE_10FULL) != 0;
	return m;
}

#endif
