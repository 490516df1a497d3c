/*
 * SMSC LAN9512/LAN9514 Ethernet (the Pi 3B's network chip: a hub, 0424:9514, with the Ethernet
 * function behind it, 0424:ec00) and its SMSC95xx siblings, as a struct netdev.
 *
 * Written from the SMSC LAN9512/LAN9514 datasheet (register map of chapter "Register
 * Descriptions": ID_REV, INT_STS, RX_CFG, TX_CFG, HW_CFG, PM_CTRL, E2P_CMD/E2P_DATA, BURST_CAP,
 * INT_EP_CTL, BULK_IN_DLY, MAC_CR, ADDRH/ADDRL, MII_ADDR/MII_DATA; the "USB Vendor Commands"
 * for register access; the "RX Status Format" and "TX Command Format" of the bulk data) and the
 * internal PHY's registers (IEEE 802.3 clause 22 plus the PHY's interrupt source/mask). Tested
 * against a register-level host model (tests/unit/test_smsc95xx.c); not yet run on a board.
 *
 * The rings, register and PHY access, the link check and the probe are usb_ether.c's; this file
 * is the chip: its IDs and registers, the bring-up, and the framing of the bulk data.
 * Receive: several frames per bulk IN transfer (up to BURST_CAP), each as a status word, the
 * frame with its FCS, and padding to the next 4-byte boundary.
 * Transmit: one frame per bulk OUT transfer, behind TX command words A and B.
 * Link: the interrupt endpoint reports INT_STS with PHY_INT when the PHY's link changes; the
 * MAC's duplex is set to match the PHY's (smsc_link_up).
 */
#include <errno.h>

#include "drivers.h"
#include "usb_ether.h"

/* System control and status registers (datasheet, register map). */
#define ID_REV	     0x000
#define INT_STS	     0x008 /* write 1 to clear */
#define RX_CFG	     0x00c
#define TX_CFG	     0x010
#define HW_CFG	     0x014
#define PM_CTRL	     0x020
#define LED_GPIO_CFG 0x024
#define E2P_CMD	     0x030
#define E2P_DATA     0x034
#define BURST_CAP    0x038
#define INT_EP_CTL   0x068
#define BULK_IN_DLY  0x06c
/* MAC control and status registers */
#define MAC_CR	 0x100
#define ADDRH	 0x104
#define ADDRL	 0x108
#define MII_ADDR 0x114
#define MII_DATA 0x118
#define FLOW	 0x11c
#define COE_CR	 0x130

#define INT_STS_PHY_INT (1u << 15) /* also INT_EP_CTL's enable and the endpoint's word */
#define TX_CFG_ON	(1u << 2)
#define HW_CFG_BIR	(1u << 12) /* bulk IN empty response: NAK rather than a ZLP */
#define HW_CFG_RXDOFF	(3u << 9)  /* bytes of padding before each received frame */
#define HW_CFG_MEF	(1u << 5)  /* multiple Ethernet frames per USB transfer */
#define HW_CFG_LRST	(1u << 3)  /* lite reset, self-clearing */
#define HW_CFG_BCE	(1u << 1)  /* burst cap enable */
#define PM_CTRL_PHY_RST (1u << 4)  /* self-clearing */
#define LED_GPIO_SPD	(1u << 24) /* the GPIOs drive the speed, link and duplex LEDs */
#define LED_GPIO_LNK	(1u << 20)
#define LED_GPIO_FDX	(1u << 16)
#define MAC_CR_RCVOWN	(1u << 23) /* disable receive own: half duplex */
#define MAC_CR_FDPX	(1u << 20)
#define MAC_CR_MCPAS	(1u << 19) /* pass all multicast */
#define MAC_CR_PRMS	(1u << 18)
#define MAC_CR_INVFILT	(1u << 17)
#define MAC_CR_HPFILT	(1u << 13)
#define MAC_CR_BCAST	(1u << 11) /* 1 = refuse broadcast */
#define MAC_CR_TXEN	(1u << 3)
#define MAC_CR_RXEN	(1u << 2)
/* MII_ADDR: PHY address 15:11, register 10:6, write 1, busy 0 (datasheet, MII_ADDR) */
#define MII_ADDR_WRITE (1u << 1)
#define MII_ADDR_BUSY  (1u << 0)
/* TX command words A and B (datasheet, "TX Command Format") */
#define TX_CMD_A_FIRST_SEG (1u << 13)
#define TX_CMD_A_LAST_SEG  (1u << 12)
#define TX_HDR		   8
/* RX status word (datasheet, "RX Status Format") */
#define RX_STS_FL(s) (((s) >> 16) & 0x3fff) /* frame length, FCS included */
#define RX_STS_ES    (1u << 15)		    /* error summary */
#define RX_STS_LE    (1u << 12)		    /* length error */

/* The internal PHY: address 1; clause 22 (mii.h) plus its interrupt source and mask. */
#define PHY_ADDR	  1
#define PHY_INT_SRC	  29 /* read to clear */
#define PHY_INT_MASK	  30
#define PHY_INT_ANEG_COMP (1u << 6)
#define PHY_INT_LINK_DOWN (1u << 4)

#define BULK_IN_DELAY 0x2000 /* the datasheet's default */

/* RX status word, then the frame (RXDOFF is 0). */
static uint32_t smsc_rx_frame(const uint8_t *h, bool *bad)
{
	uint32_t st =
	    (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	*bad = (st & (RX_STS_ES | RX_STS_LE)) != 0;
	return RX_STS_FL(st);
}

/* Command A: one buffer holding the whole frame; command B: the frame's length. */
static void smsc_tx_frame(uint8_t *h, uint32_t n)
{
	uint32_t a = TX_CMD_A_FIRST_SEG | TX_CMD_A_LAST_SEG | n, b = n;
	for (int i = 0; i < 4; i++) {
		h[i] = (uint8_t)(a >> (8 * i));
		h[4 + i] = (uint8_t)(b >> (8 * i));
	}
}

/* The link is up: MAC_CR.FDPX must match the PHY; half duplex also ignores its own frames. */
static int smsc_link_up(struct usb_ether *ue, struct mii_mode m)
{
	return ue_set(ue, MAC_CR, MAC_CR_FDPX | MAC_CR_RCVOWN,
		      m.full_duplex ? MAC_CR_FDPX : MAC_CR_RCVOWN);
}

/* Resets the PHY through BMCR and waits for the bit to clear itself. */
static int phy_reset(struct usb_ether *ue)
{
	uint16_t v;
	int r = ue_mii_write(ue, MII_BMCR, BMCR_RESET);
	for (int i = 0; r == 0 && i < UE_WAIT_MS; i++) {
		if ((r = ue_mii_read(ue, MII_BMCR, &v)) == 0 && !(v & BMCR_RESET))
			return 0;
		usb_sleep_ms(1);
	}
	return r < 0 ? r : -ETIMEDOUT;
}

/* The datasheet's initialisation: reset, address, USB data path, PHY, then MAC enables. */
static int smsc_init(struct usb_ether *ue)
{
	struct usb_device *d = ue->dev;
	int r = ue_read(ue, ID_REV, &ue->id);
	if (r < 0)
		return r;
	/* Lite reset: every register but the USB state to its default; it clears itself. */
	if ((r = ue_set(ue, HW_CFG, 0, HW_CFG_LRST)) < 0 ||
	    (r = ue_wait(ue, HW_CFG, HW_CFG_LRST, 0)) < 0)
		return r;
	if ((r = ue_set(ue, PM_CTRL, 0, PM_CTRL_PHY_RST)) < 0 ||
	    (r = ue_wait(ue, PM_CTRL, PM_CTRL_PHY_RST, 0)) < 0)
		return r;
	uint8_t *m = ue->netdev.mac;
	const char *mac_from = ue_choose_mac(ue, m);
	uint32_t lo, hi;
	ue_mac_words(m, &lo, &hi);
	if ((r = ue_write(ue, ADDRL, lo)) < 0 || (r = ue_write(ue, ADDRH, hi)) < 0)
		return r;
	/* Bulk IN: NAK when empty; several frames per transfer, at most BURST_CAP packets. */
	unsigned pkt = d->speed == USB_SPEED_HIGH ? 512 : 64;
	if ((r = ue_set(ue, HW_CFG, 0, HW_CFG_BIR)) < 0 ||
	    (r = ue_write(ue, BURST_CAP, UE_RX_BUF / pkt)) < 0 ||
	    (r = ue_write(ue, BULK_IN_DLY, BULK_IN_DELAY)) < 0 ||
	    (r = ue_set(ue, HW_CFG, HW_CFG_RXDOFF, HW_CFG_MEF | HW_CFG_BCE)) < 0 ||
	    (r = ue_write(ue, INT_STS, 0xffffffffu)) < 0 || (r = ue_write(ue, COE_CR, 0)) < 0 ||
	    (r = ue_write(ue, FLOW, 0)) < 0 ||
	    (r = ue_write(ue, LED_GPIO_CFG, LED_GPIO_SPD | LED_GPIO_LNK | LED_GPIO_FDX)) < 0)
		return r;
	/* PHY: reset, advertise 10/100 half and full, interrupt on link events, autonegotiate. */
	uint16_t v;
	if ((r = phy_reset(ue)) < 0 ||
	    (r = ue_mii_write(ue, MII_ADVERTISE, ADVERTISE_CSMA | ADVERTISE_10_100)) < 0 ||
	    (r = ue_mii_read(ue, PHY_INT_SRC, &v)) < 0 ||
	    (r = ue_mii_write(ue, PHY_INT_MASK, PHY_INT_ANEG_COMP | PHY_INT_LINK_DOWN)) < 0 ||
	    (r = ue_mii_write(ue, MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART)) < 0)
		return r;
	if ((r = ue_write(ue, INT_EP_CTL, INT_STS_PHY_INT)) < 0)
		return r;
	/* MAC: our address and broadcast, all multicast (as cdc_ecm asks); then transmit and
	 * receive on. Duplex follows the link (smsc_link_up). */
	if ((r = ue_set(ue, MAC_CR, MAC_CR_PRMS | MAC_CR_INVFILT | MAC_CR_HPFILT | MAC_CR_BCAST,
			MAC_CR_MCPAS)) < 0 ||
	    (r = ue_set(ue, MAC_CR, 0, MAC_CR_TXEN)) < 0 ||
	    (r = ue_write(ue, TX_CFG, TX_CFG_ON)) < 0 ||
	    (r = ue_set(ue, MAC_CR, 0, MAC_CR_RXEN)) < 0)
		return r;
	kprintf("smsc95xx: device %u: id %08x, mac %02x:%02x:%02x:%02x:%02x:%02x (%s)\n", d->addr,
		(unsigned)ue->id, m[0], m[1], m[2], m[3], m[4], m[5], mac_from);
	return 0;
}

/* Supported devices: the SMSC95xx family speaks one protocol. */
static const uint16_t ids[] = {
    0xec00, /* LAN9512/LAN9514 Ethernet function (Pi 1B/2B/3B) */
    0x9500, /* LAN9500 */
    0x9505, /* LAN9500 (other strap) */
    0x9e00, /* LAN9500A */
    0x9e01, /* LAN9500A (other strap) */
    0x9530, /* LAN9530 */
    0x9730, /* LAN9730 */
    0x9e08, /* LAN89530 */
};

static const struct ue_chip smsc95xx = {
    .name = "smsc95xx",
    .vid = 0x0424,
    .pids = ids,
    .npids = sizeof(ids) / sizeof(ids[0]),
    .mii = {.acc = MII_ADDR,
	    .data = MII_DATA,
	    .phy = PHY_ADDR,
	    .phy_shift = 11,
	    .reg_shift = 6,
	    .write = MII_ADDR_WRITE,
	    .busy = MII_ADDR_BUSY},
    .e2p_cmd = E2P_CMD,
    .e2p_data = E2P_DATA,
    .mac_last = 0x03,
    .int_sts = INT_STS,
    .int_phy = INT_STS_PHY_INT,
    .phy_int_ack = PHY_INT_SRC,
    .gigabit = false,
    .rx_hdr = 4,
    .rx_frame = smsc_rx_frame,
    .tx_hdr = TX_HDR,
    .tx_frame = smsc_tx_frame,
    .init = smsc_init,
    .link_up = smsc_link_up,
};

static int smsc_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	return ue_probe(&smsc95xx, d, cfg, len);
}

const struct usb_driver smsc95xx_driver = {.name = "smsc95xx", .probe = smsc_probe};
