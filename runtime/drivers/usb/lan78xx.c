/*
 * Microchip LAN7800 USB 2.0 Gigabit Ethernet (the Pi 3B+'s network chip, 0424:7800, behind a
 * LAN7515 hub) and its siblings LAN7850/LAN7801, as a struct netdev.
 *
 * Written from the LAN7800 datasheet (register map: ID_REV, INT_STS, HW_CFG, PMT_CTL,
 * E2P_CMD/E2P_DATA, USB_CFG0, BURST_CAP, BULK_IN_DLY, INT_EP_CTL, RFE_CTL, FCT_RX_CTL/FCT_TX_CTL,
 * FCT_RX_FIFO_END/FCT_TX_FIFO_END, MAC_CR, MAC_RX, MAC_TX, RX_ADDRH/RX_ADDRL, MII_ACC/MII_DATA,
 * the MAC address perfect filter MAF_HI/MAF_LO; the "USB Vendor Commands" for register access;
 * the RX command A/B/C and TX command A/B of the bulk data) and the internal gigabit PHY's
 * registers (IEEE 802.3 clause 22 plus its interrupt mask/status). Tested against a
 * register-level host model (tests/unit/test_lan78xx.c); not yet run on a board.
 *
 * The rings, register and PHY access, the link check and the probe are usb_ether.c's; this file
 * is the chip: its IDs and registers, the bring-up, and the framing of the bulk data.
 * Receive: several frames per bulk IN transfer (up to BURST_CAP), each as RX command A (32 bits,
 * the length and error flags), B (32 bits), C (16 bits), then the frame with its FCS, padded so
 * the next command A starts on a 4-byte boundary.
 * Transmit: one frame per bulk OUT transfer, behind TX command A (length, insert FCS) and B.
 * Link: the MAC sets its speed and duplex from the PHY itself (MAC_CR auto speed/duplex); the
 * interrupt endpoint reports PHY_INT and usb_core's usb-net thread reads the PHY.
 * PHY set-up follows Linux, whose drivers run on every Pi 3B+: the internal LAN88xx PHY gets
 * the tuning of drivers/net/phy/microchip.c's lan88xx_config_init (zero-detect delay, and the
 * DSP "token ring" registers that set the gigabit receiver's loop gains and the EEE timers),
 * and only 1000BASE-T full duplex is advertised, as lan78xx.c's PHY set-up does ("MAC doesn't
 * support 1000T Half"). docs/boards.md, item 8.
 */
#include <errno.h>

#include "drivers.h"
#include "usb_ether.h"

/* Registers (datasheet, register map). */
#define ID_REV		0x000
#define INT_STS		0x00c /* write 1 to clear */
#define HW_CFG		0x010
#define PMT_CTL		0x014
#define E2P_CMD		0x040
#define E2P_DATA	0x044
#define USB_CFG0	0x080
#define BURST_CAP	0x090
#define BULK_IN_DLY	0x094
#define INT_EP_CTL	0x098
#define RFE_CTL		0x0b0
#define FCT_RX_CTL	0x0c0
#define FCT_TX_CTL	0x0c4
#define FCT_RX_FIFO_END 0x0c8
#define FCT_TX_FIFO_END 0x0cc
#define FCT_FLOW	0x0d0
#define MAC_CR		0x100
#define MAC_RX		0x104
#define MAC_TX		0x108
#define FLOW		0x10c
#define RX_ADDRH	0x118
#define RX_ADDRL	0x11c
#define MII_ACC		0x120
#define MII_DATA	0x124
#define MAF_HI(n)	(0x400 + 8 * (n)) /* perfect filter entry n */
#define MAF_LO(n)	(0x404 + 8 * (n))

#define ID_REV_CHIP(v)	     ((v) >> 16)
#define INT_STS_PHY_INT	     (1u << 17) /* also INT_EP_CTL's enable and the endpoint's word */
#define HW_CFG_LED1_EN	     (1u << 21)
#define HW_CFG_LED0_EN	     (1u << 20)
#define HW_CFG_MEF	     (1u << 4) /* multiple Ethernet frames per USB transfer */
#define HW_CFG_LRST	     (1u << 1) /* lite reset, self-clearing */
#define PMT_CTL_READY	     (1u << 7)
#define PMT_CTL_PHY_RST	     (1u << 4) /* self-clearing */
#define USB_CFG0_BIR	     (1u << 6) /* bulk IN empty response: NAK rather than a ZLP */
#define USB_CFG0_BCE	     (1u << 5) /* burst cap enable */
#define RFE_CTL_BCAST_EN     (1u << 10)
#define RFE_CTL_MCAST_EN     (1u << 9) /* all multicast */
#define RFE_CTL_DA_PERFECT   (1u << 1) /* unicast through the MAF perfect filter */
#define FCT_CTL_EN	     (1u << 31)
#define MAC_CR_AUTO_DUPLEX   (1u << 12)
#define MAC_CR_AUTO_SPEED    (1u << 11)
#define MAC_RX_MAX_SIZE(n)   ((uint32_t)(n) << 16)
#define MAC_RX_MAX_SIZE_MASK (0x3fffu << 16)
#define MAC_RX_RXEN	     (1u << 0)
#define MAC_TX_TXEN	     (1u << 0)
#define MAF_HI_VALID	     (1u << 31)
/* MII_ACC: PHY address 15:11, register 10:6, write 1, busy 0 (datasheet, MII_ACC) */
#define MII_ACC_WRITE (1u << 1)
#define MII_ACC_BUSY  (1u << 0)
/* TX command A (datasheet, "TX Command A") */
#define TX_CMD_A_FCS	  (1u << 22) /* the MAC appends the FCS */
#define TX_CMD_A_LEN_MASK 0xfffffu
#define TX_HDR		  8 /* commands A and B */
/* RX command A (datasheet, "RX Command A") */
#define RX_CMD_A_RED	(1u << 22)   /* receive error detected */
#define RX_CMD_A_LEN(a) ((a)&0x3fff) /* frame length, FCS included */
#define RX_HDR		10	     /* commands A, B (32 bits) and C (16 bits) */

/* The internal PHY: address 1; clause 22 (mii.h) plus its interrupt mask and status. */
#define PHY_ADDR	    1
#define PHY_INT_MASK	    25
#define PHY_INT_STS	    26 /* read to clear */
#define PHY_INT_MDINTPIN_EN (1u << 15)
#define PHY_INT_LINK_CHANGE (1u << 13)

/* LAN88xx paged and MMD registers (Linux's include/linux/microchipphy.h; IEEE 802.3 annex
 * 22D for MMD access through registers 13 and 14) */
#define PHY_PAGE	    31
#define PHY_PAGE_TR	    0x52b5 /* the DSP ("token ring") registers */
#define TR_CR		    16	   /* bit 15: go (stays set once done), 14:13: 0 = write */
#define TR_LOW		    17	   /* value bits 15:0 */
#define TR_HIGH		    18	   /* value bits 23:16 */
#define TR_GO		    (1u << 15)
#define MMD_CTRL	    13
#define MMD_DATA	    14
#define MMD_FN_DATA	    (1u << 14) /* data, no post-increment */
#define MMD_PCS		    3
#define MMD3_PHY_CFG	    0x806a
#define MMD3_PHY_CFG_ZD_DLY (1u << 13) /* zero-detect delay */

#define FIFO_SIZE     (12 * 1024) /* each way: FCT_*_FIFO_END in 512-byte units */
#define BULK_IN_DELAY 0x800

static const uint16_t ids[] = {0x7800, 0x7850, 0x7801}; /* LAN7800, LAN7850, LAN7801 */

/* RX command A (length and error flags), B and C, then the frame. */
static uint32_t lan_rx_frame(const uint8_t *h, bool *bad)
{
	uint32_t a =
	    (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	*bad = (a & RX_CMD_A_RED) != 0;
	return RX_CMD_A_LEN(a);
}

/* Command A: the frame's length, and the MAC adds the FCS; command B: no segmentation. */
static void lan_tx_frame(uint8_t *h, uint32_t n)
{
	uint32_t a = (n & TX_CMD_A_LEN_MASK) | TX_CMD_A_FCS;
	for (int i = 0; i < 4; i++) {
		h[i] = (uint8_t)(a >> (8 * i));
		h[4 + i] = 0;
	}
}

/* The LAN88xx DSP values Linux's lan88xx_config_TR_regs writes after every PHY reset: loop
 * gains of the 1000BASE-T receiver (Kf/Kp, master and slave), the remote-update threshold,
 * EEE (LPI) timers and gains, the fast MSE search, and TrFreeze. Microchip documents them
 * nowhere public; this is the list a driver that runs on Pi 3B+ boards writes. */
static const struct {
	uint16_t addr; /* channel 12:11, node 10:7, register 6:1 */
	uint32_t value;
} lan88xx_tr[] = {
    {0x0f82, 0x12b00a}, {0x168c, 0xd2c46f}, {0x17a2, 0x000620}, {0x16a0, 0xeeffdd},
    {0x16a6, 0x071448}, {0x16a4, 0x13132f}, {0x16a8, 0x000000}, {0x0fe8, 0x91b06c},
    {0x0ffc, 0xc0a028}, {0x0fea, 0x041600}, {0x1686, 0x000004},
};

/* One DSP register: the 24-bit value, then the address with "go"; read back, "go" must have
 * stayed set. Returns 1 when written, 0 when the PHY did not confirm, -errno. */
static int lan88xx_tr_write(struct usb_ether *ue, uint16_t addr, uint32_t value)
{
	uint16_t cr;
	int r;
	if ((r = ue_mii_write(ue, TR_LOW, (uint16_t)value)) < 0 ||
	    (r = ue_mii_write(ue, TR_HIGH, (uint16_t)((value >> 16) & 0xff))) < 0 ||
	    (r = ue_mii_write(ue, TR_CR, (uint16_t)((addr & ~(3u << 13)) | TR_GO))) < 0 ||
	    (r = ue_mii_read(ue, TR_CR, &cr)) < 0)
		return r;
	return (cr & TR_GO) != 0;
}

/* The internal PHY's tuning, after its reset (Linux's lan88xx_config_init). */
static int lan88xx_tune(struct usb_ether *ue)
{
	uint16_t v;
	int r;
	/* MMD 3 register 0x806a: zero-detect delay on (read, modify, write) */
	if ((r = ue_mii_write(ue, MMD_CTRL, MMD_PCS)) < 0 ||
	    (r = ue_mii_write(ue, MMD_DATA, MMD3_PHY_CFG)) < 0 ||
	    (r = ue_mii_write(ue, MMD_CTRL, MMD_FN_DATA | MMD_PCS)) < 0 ||
	    (r = ue_mii_read(ue, MMD_DATA, &v)) < 0 ||
	    (r = ue_mii_write(ue, MMD_DATA, v | MMD3_PHY_CFG_ZD_DLY)) < 0)
		return r;
	if ((r = ue_mii_write(ue, PHY_PAGE, PHY_PAGE_TR)) < 0)
		return r;
	unsigned failed = 0;
	for (size_t i = 0; i < sizeof(lan88xx_tr) / sizeof(lan88xx_tr[0]); i++) {
		if ((r = lan88xx_tr_write(ue, lan88xx_tr[i].addr, lan88xx_tr[i].value)) < 0)
			break;
		failed += r == 0;
	}
	int back = ue_mii_write(ue, PHY_PAGE, 0); /* page 0 again, whatever happened */
	if (r < 0 || back < 0)
		return r < 0 ? r : back;
	if (failed)
		kprintf("lan78xx: PHY: %u DSP register(s) not confirmed\n", failed);
	return 0;
}

/* The MAC address (ue_choose_mac). On the LAN7800 the EEPROM pins double as LED0/LED1
 * (datasheet, HW_CFG): the LEDs are off while it is read. */
static const char *choose_mac(struct usb_ether *ue, uint8_t mac[6])
{
	uint32_t hw = 0;
	bool leds = ue_read(ue, HW_CFG, &hw) == 0 && (hw & (HW_CFG_LED0_EN | HW_CFG_LED1_EN));
	if (leds)
		ue_write(ue, HW_CFG, hw & ~(HW_CFG_LED0_EN | HW_CFG_LED1_EN));
	const char *from = ue_choose_mac(ue, mac);
	if (leds)
		ue_write(ue, HW_CFG, hw);
	return from;
}

static int lan_init(struct usb_ether *ue)
{
	struct usb_device *d = ue->dev;
	int r = ue_read(ue, ID_REV, &ue->id);
	if (r < 0)
		return r;
	bool known = false;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		known |= ID_REV_CHIP(ue->id) == ids[i];
	if (!known)
		return -ENODEV;
	/* Lite reset, self-clearing. */
	if ((r = ue_set(ue, HW_CFG, 0, HW_CFG_LRST)) < 0 ||
	    (r = ue_wait(ue, HW_CFG, HW_CFG_LRST, 0)) < 0)
		return r;
	uint8_t *m = ue->netdev.mac;
	const char *mac_from = choose_mac(ue, m);
	/* The Pi 3B+ wires LED0/LED1 to the jack's LEDs; now the EEPROM is done with them. */
	if (ID_REV_CHIP(ue->id) == 0x7800 &&
	    (r = ue_set(ue, HW_CFG, 0, HW_CFG_LED0_EN | HW_CFG_LED1_EN)) < 0)
		return r;
	/* RX_ADDRL/H, and the same in perfect filter entry 0, which unicast reception goes
	 * through. */
	uint32_t lo, hi;
	ue_mac_words(m, &lo, &hi);
	if ((r = ue_write(ue, RX_ADDRL, lo)) < 0 || (r = ue_write(ue, RX_ADDRH, hi)) < 0 ||
	    (r = ue_write(ue, MAF_LO(0), lo)) < 0 ||
	    (r = ue_write(ue, MAF_HI(0), hi | MAF_HI_VALID)) < 0)
		return r;
	/* Bulk IN: NAK when empty; several frames per transfer, at most BURST_CAP packets. */
	unsigned pkt = d->speed == USB_SPEED_HIGH ? 512 : 64;
	if ((r = ue_set(ue, USB_CFG0, 0, USB_CFG0_BIR)) < 0 ||
	    (r = ue_write(ue, BURST_CAP, UE_RX_BUF / pkt)) < 0 ||
	    (r = ue_write(ue, BULK_IN_DLY, BULK_IN_DELAY)) < 0 ||
	    (r = ue_set(ue, HW_CFG, 0, HW_CFG_MEF)) < 0 ||
	    (r = ue_set(ue, USB_CFG0, 0, USB_CFG0_BCE)) < 0 ||
	    (r = ue_write(ue, FCT_RX_FIFO_END, (FIFO_SIZE - 512) / 512)) < 0 ||
	    (r = ue_write(ue, FCT_TX_FIFO_END, (FIFO_SIZE - 512) / 512)) < 0 ||
	    (r = ue_write(ue, INT_STS, 0xffffffffu)) < 0 || (r = ue_write(ue, FLOW, 0)) < 0 ||
	    (r = ue_write(ue, FCT_FLOW, 0)) < 0)
		return r;
	/* Receive filter: our address, broadcast, all multicast (as cdc_ecm asks). */
	if ((r = ue_set(ue, RFE_CTL, 0, RFE_CTL_BCAST_EN | RFE_CTL_MCAST_EN | RFE_CTL_DA_PERFECT)) <
	    0)
		return r;
	/* PHY reset through PMT_CTL: done when PHY_RST clears and READY sets. */
	if ((r = ue_set(ue, PMT_CTL, 0, PMT_CTL_PHY_RST)) < 0 ||
	    (r = ue_wait(ue, PMT_CTL, PMT_CTL_PHY_RST | PMT_CTL_READY, PMT_CTL_READY)) < 0)
		return r;
	if ((r = ue_set(ue, MAC_CR, 0, MAC_CR_AUTO_DUPLEX | MAC_CR_AUTO_SPEED)) < 0 ||
	    (r = lan88xx_tune(ue)) < 0)
		return r;
	/* PHY: advertise 10/100 and 1000 full (the MAC has no 1000 half: Linux's lan78xx),
	 * interrupt on link change, autonegotiate. */
	uint16_t v;
	if ((r = ue_mii_write(ue, MII_ADVERTISE, ADVERTISE_CSMA | ADVERTISE_10_100)) < 0 ||
	    (r = ue_mii_write(ue, MII_CTRL1000, ADVERTISE_1000FULL)) < 0 ||
	    (r = ue_mii_read(ue, PHY_INT_STS, &v)) < 0 ||
	    (r = ue_mii_write(ue, PHY_INT_MASK, PHY_INT_MDINTPIN_EN | PHY_INT_LINK_CHANGE)) < 0 ||
	    (r = ue_mii_write(ue, MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART)) < 0 ||
	    (r = ue_write(ue, INT_EP_CTL, INT_STS_PHY_INT)) < 0)
		return r;
	/* Transmit on (MAC, then its FIFO), then receive (largest frame with FCS, then FIFO). */
	if ((r = ue_set(ue, MAC_TX, 0, MAC_TX_TXEN)) < 0 ||
	    (r = ue_set(ue, FCT_TX_CTL, 0, FCT_CTL_EN)) < 0 ||
	    (r = ue_set(ue, MAC_RX, MAC_RX_MAX_SIZE_MASK,
			MAC_RX_MAX_SIZE(ETH_FRAME_MAX_VLAN + ETH_FCS_LEN))) < 0 ||
	    (r = ue_set(ue, MAC_RX, 0, MAC_RX_RXEN)) < 0 ||
	    (r = ue_set(ue, FCT_RX_CTL, 0, FCT_CTL_EN)) < 0)
		return r;
	kprintf("lan78xx: device %u: LAN%04x rev %u, mac %02x:%02x:%02x:%02x:%02x:%02x (%s)\n",
		d->addr, (unsigned)ID_REV_CHIP(ue->id), (unsigned)(ue->id & 0xffff), m[0], m[1],
		m[2], m[3], m[4], m[5], mac_from);
	return 0;
}

static const struct ue_chip lan78xx = {
    .name = "lan78xx",
    .vid = 0x0424,
    .pids = ids,
    .npids = sizeof(ids) / sizeof(ids[0]),
    .mii = {.acc = MII_ACC,
	    .data = MII_DATA,
	    .phy = PHY_ADDR,
	    .phy_shift = 11,
	    .reg_shift = 6,
	    .write = MII_ACC_WRITE,
	    .busy = MII_ACC_BUSY},
    .e2p_cmd = E2P_CMD,
    .e2p_data = E2P_DATA,
    .mac_last = 0x04,
    .int_sts = INT_STS,
    .int_phy = INT_STS_PHY_INT,
    .phy_int_ack = PHY_INT_STS,
    .gigabit = true,
    .rx_hdr = RX_HDR,
    .rx_frame = lan_rx_frame,
    .tx_hdr = TX_HDR,
    .tx_frame = lan_tx_frame,
    .init = lan_init,
    .link_up = NULL, /* MAC_CR's auto speed and duplex follow the PHY */
};

static int lan_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	return ue_probe(&lan78xx, d, cfg, len);
}

const struct usb_driver lan78xx_driver = {.name = "lan78xx", .probe = lan_probe};
