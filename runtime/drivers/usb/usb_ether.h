/*
 * The core of the three USB Ethernet drivers. What the SMSC/Microchip chips (LAN9514 in
 * smsc95xx.c, LAN7800 in lan78xx.c) have in common, as one piece each chip driver describes
 * itself to, the way a minidriver does:
 *   - 32-bit registers behind vendor control requests 0xA0 (write) and 0xA1 (read) (both
 *     datasheets, "USB Vendor Commands"), and polling one until bits settle;
 *   - the PHY's clause 22 registers through an address/command register and a data register;
 *   - the EEPROM through E2P_CMD/E2P_DATA, and the MAC address from it, the board or made up;
 *   - one interface with bulk IN, bulk OUT and interrupt IN endpoints;
 *   - link: the interrupt endpoint's INT_STS word has a bit for the PHY's interrupt; usb_core's
 *     usb-net thread then reads the PHY (usb_ether_link_check).
 * And the data path, which cdc_ecm.c (CDC ECM, QEMU's usb-net) uses as well (ue_data_init):
 *   - receive: a ring of bulk IN transfers, each holding several frames (the chip packs them up
 *     to BURST_CAP), each frame behind a chip-specific header and padded so the next header
 *     starts on a 4-byte boundary; receive() unpacks them in thread context. Or, for ECM, one
 *     bare frame per transfer, ended by a short packet;
 *   - transmit: a ring of frames, each behind a chip-specific command header (none for ECM),
 *     sent whole or a packet a transfer, and a zero-length packet after one that fills whole
 *     packets;
 *   - error recovery (struct ue_recover): busy retries, receive backoff, STALLs cleared.
 * A chip driver keeps its IDs, register map, bring-up sequence and the two header formats.
 */
#ifndef UK_USB_ETHER_H
#define UK_USB_ETHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uk/time.h>

#include "mii.h"
#include "netdev.h"
#include "usb.h"

#define UE_RX_SLOTS	8     /* the chips' defaults; struct ue_chip may ask for others */
#define UE_RX_BUF	16384 /* one bulk IN transfer: the chip's BURST_CAP keeps it within this */
#define UE_TX_SLOTS	32
#define UE_RX_SLOTS_MAX 32
#define UE_TX_BUF	2048
#define UE_WAIT_MS	1000 /* register polls give up after this */

struct usb_ether;

/*
 * Keeping a bulk IN/OUT pair going after errors, from interrupt context alone; usb_ether.c and
 * cdc_ecm.c both use it. One timer resumes whatever stopped: after a busy controller (1 ms),
 * after receive errors (10 ms, doubling while they go on, up to 1.28 s: a device that went
 * away costs next to nothing), or after a failed clearing step. A STALLed endpoint is halted
 * until CLEAR_FEATURE(ENDPOINT_HALT) (USB 2.0 section 9.4.1) goes through, issued as two
 * transfers on endpoint 0 (setup, then a zero-length status IN); then its data toggle is back
 * to DATA0 (section 9.4.5). Only this uses endpoint 0 after probe, so it does not take
 * usb_control's lock.
 */
#define UE_HALT_IN  1
#define UE_HALT_OUT 2

struct ue_recover {
	struct usb_device *dev;
	uint8_t ep_in, ep_out;
	uint8_t halted;	    /* UE_HALT_IN | UE_HALT_OUT: halts not cleared yet */
	uint8_t clearing;   /* the halt ctl is clearing, 0 when ctl is idle */
	unsigned rx_errors; /* receive errors in a row */
	struct usb_xfer ctl;
	uint8_t *ctl_buf; /* the setup packet (64-byte aligned for DMA) */
	struct uk_timer timer;
	/* IRQs masked: restart the transfers that stopped (they check ue_halted first) */
	void (*resume)(void *arg);
	void *arg;
};

/* Before any transfer: 0, or -ENOMEM. */
int ue_recover_init(struct ue_recover *r, struct usb_device *d, uint8_t ep_in, uint8_t ep_out,
		    void (*resume)(void *arg), void *arg);
/* IRQs masked. Has resume() run in ms milliseconds (or sooner, if it is due sooner). */
void ue_retry_in(struct ue_recover *r, unsigned ms);
/* Interrupt context: an endpoint (UE_HALT_IN or UE_HALT_OUT) STALLed; clearing starts. */
void ue_halt(struct ue_recover *r, uint8_t which);
static inline bool ue_halted(const struct ue_recover *r, uint8_t which)
{
	return (r->halted & which) != 0;
}
/* Interrupt context: a receive transfer failed (not a STALL): resume after the backoff. */
void ue_rx_error(struct ue_recover *r);
static inline void ue_rx_ok(struct ue_recover *r)
{
	r->rx_errors = 0;
}

/* MII management through a register pair (LAN9514 MII_ADDR/MII_DATA, LAN7800 MII_ACC/MII_DATA):
 * write the PHY and register numbers with busy set (and write set, after the data), then wait
 * for busy to clear. */
struct ue_mii {
	uint16_t acc, data; /* register offsets */
	uint8_t phy;	    /* the PHY's address */
	uint8_t phy_shift, reg_shift;
	uint32_t write, busy; /* bits of acc */
};

struct ue_chip {
	const char *name; /* the driver's and the netdev's name, and the log's prefix */
	uint16_t vid;
	const uint16_t *pids;
	size_t npids;
	struct ue_mii mii;
	uint16_t e2p_cmd, e2p_data; /* EEPROM command and data registers */
	uint8_t mac_last;	    /* the made-up address's last byte, one per chip */
	uint16_t int_sts;	    /* INT_STS: write 1 to clear */
	uint32_t int_phy;	    /* its PHY interrupt bit, also the interrupt endpoint's */
	uint8_t phy_int_ack;	    /* the PHY's read-to-clear interrupt register */
	bool gigabit;		    /* the PHY has MII_CTRL1000/MII_STAT1000 */
	/* Receive: rx_slots transfers of rx_buf bytes (0: UE_RX_SLOTS of UE_RX_BUF). rx_hdr
	 * bytes before each frame; rx_frame() reads from them the frame's length (FCS included)
	 * and whether the chip flagged it bad. Without rx_frame, a transfer is one frame without
	 * FCS, ended by a short packet (CDC ECM): one that fills its buffer runs on into the
	 * next transfer, and it and its continuation are dropped as one frame. */
	uint16_t rx_slots;
	uint32_t rx_buf;
	uint8_t rx_hdr;
	uint32_t (*rx_frame)(const uint8_t *hdr, bool *bad);
	/* Transmit: tx_frame() (if any) writes the tx_hdr bytes of command before a frame of len
	 * bytes, padded to 60 bytes unless tx_unpadded. */
	uint8_t tx_hdr;
	bool tx_unpadded;
	void (*tx_frame)(uint8_t *hdr, uint32_t len);
	uint16_t frame_max; /* the longest frame sent or received (0: ETH_FRAME_MAX_VLAN) */
	/* Bring-up after SET_CONFIGURATION, thread context: resets, netdev.mac (ue_choose_mac),
	 * data path, PHY, enables; sets ue->id. 0 or -errno. */
	int (*init)(struct usb_ether *ue);
	/* The link came up in mode m: make the MAC match (NULL when it follows the PHY itself). */
	int (*link_up)(struct usb_ether *ue, struct mii_mode m);
};

struct usb_ether {
	struct netdev netdev;
	struct usb_device *dev;
	const struct ue_chip *chip;
	uint32_t id; /* the chip's ID_REV, for the log */
	uint16_t mps_out;
	/* receive ring: [rx_head, rx_head + rx_count) hold transfers; rx_off is how far the
	 * thread has unpacked the head one; the IN transfer fills rx_tail */
	uint8_t *rx_bufs;
	unsigned rx_slots;
	uint32_t rx_buf;
	uint32_t rx_len[UE_RX_SLOTS_MAX];
	unsigned rx_head, rx_tail, rx_count;
	uint32_t rx_off;
	bool rx_busy;
	bool rx_discard; /* one frame per transfer: in a dropped frame, up to a short packet */
	struct usb_xfer rx;
	/* transmit ring: [tx_head, tx_head + tx_count) wait; tx_head is on the wire when busy;
	 * tx_off bytes of it are sent (all of them: a ZLP is due); tx_chunk bytes a transfer */
	uint8_t *tx_bufs;
	uint16_t tx_len[UE_TX_SLOTS]; /* command header included */
	unsigned tx_head, tx_count;
	uint32_t tx_off, tx_chunk;
	bool tx_busy;
	struct usb_xfer tx;
	/* the interrupt endpoint */
	struct usb_xfer intr;
	uint8_t *intr_buf;
	unsigned intr_ms;
	struct uk_timer intr_poll;
	struct ue_recover rec; /* busy retries, receive backoff, STALLs */
	int link;	       /* what the link check found last: -1 not yet */
};

/* The data path on the bulk pair whose endpoint descriptors are in and out, for any USB
 * Ethernet function (the chips' ue_probe, cdc_ecm.c): rings, error recovery, the netdev's
 * name, receive and transmit. 0, -ENODEV for bulk packet sizes the receive buffer cannot take
 * in whole packets, or -ENOMEM (ue_data_free then frees what there is). */
int ue_data_init(struct usb_ether *ue, struct usb_device *d, const struct ue_chip *c,
		 const uint8_t *in, const uint8_t *out);
/* Starts receiving. */
void ue_data_start(struct usb_ether *ue);
/* Before ue_data_start only: frees the rings. */
void ue_data_free(struct usb_ether *ue);
/* An endpoint descriptor's wMaxPacketSize. */
uint16_t ue_ep_mps(const uint8_t *ep);

/* A chip driver's probe: takes d when its IDs and endpoints match chip, then brings it up and
 * registers its netdev with usb_core. 0, or -ENODEV / -errno. */
int ue_probe(const struct ue_chip *chip, struct usb_device *d, const uint8_t *cfg, size_t len);

/* Register access (thread context): 0 or -errno. ue_set clears, then sets bits; ue_wait polls
 * every millisecond until (reg & mask) == want, -ETIMEDOUT after UE_WAIT_MS. */
int ue_read(struct usb_ether *ue, uint16_t reg, uint32_t *val);
int ue_write(struct usb_ether *ue, uint16_t reg, uint32_t val);
int ue_set(struct usb_ether *ue, uint16_t reg, uint32_t clear, uint32_t set);
int ue_wait(struct usb_ether *ue, uint16_t reg, uint32_t mask, uint32_t want);
/* The PHY's registers (thread context): 0 or -errno. */
int ue_mii_read(struct usb_ether *ue, unsigned reg, uint16_t *val);
int ue_mii_write(struct usb_ether *ue, unsigned reg, uint16_t val);
/* The MAC address into mac: the EEPROM's (signature byte 0xA5, then six bytes), else the
 * board's, else a made-up local one. Where it came from, for the log. */
const char *ue_choose_mac(struct usb_ether *ue, uint8_t mac[6]);
/* A MAC address as both chips' address registers hold it: the first four bytes in lo, the
 * last two in hi, first byte least significant. */
void ue_mac_words(const uint8_t mac[6], uint32_t *lo, uint32_t *hi);

#endif
