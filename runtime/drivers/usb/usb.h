/*
 * The USB host stack's internal interfaces (USB 2.0 specification, chapters 9 and 11):
 *   dwc2.c      the host controller driver (Synopsys DWC2, the Pi's OTG core): channels, transfers
 *   usb_core.c  enumeration: descriptors, addresses, configurations, class-driver matching
 *   usb_hub.c   the hub class driver (chapter 11)
 *   cdc_ecm.c   the CDC Ethernet (ECM) class driver, a struct netdev (QEMU's usb-net)
 *   smsc95xx.c  the SMSC LAN9512/LAN9514 Ethernet function (Pi 3B), a struct netdev
 *   lan78xx.c   the Microchip LAN7800 (Pi 3B+), a struct netdev
 *   usb_ether.c what those two chips share: vendor register access, MII over a register pair,
 *               the bulk rings, the interrupt endpoint and link check (usb_ether.h)
 * The network class drivers hand their netdev to usb_core.c (usb_net_register); the board asks
 * for "the USB network device" with usb_netdev(), whichever driver took it. Chips without a MAC
 * address of their own ask usb_net_board_mac(), which calls the hook the board set: the USB
 * drivers stay board-agnostic (the Pi's hook reads the firmware's address from the mailbox).
 * smsc95xx.c and lan78xx.c are written from the datasheets and tested against host models
 * (tests/unit/test_smsc95xx.c, test_lan78xx.c); they have not yet run on a board.
 * One bus, one host controller. Transfers complete in interrupt context through a callback;
 * usb_transfer_wait() turns that into a blocking call for thread context.
 */
#ifndef UK_USB_H
#define UK_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uk/thread.h>

/* Port speeds, encoded as the DWC2 reports them in HPRT.PrtSpd (databook, HPRT). */
#define USB_SPEED_HIGH 0
#define USB_SPEED_FULL 1
#define USB_SPEED_LOW  2

/* Endpoint transfer types (USB 2.0 table 9-13, bmAttributes bits 1:0; also HCCHAR.EPType). */
#define USB_EP_CONTROL 0
#define USB_EP_ISOC    1
#define USB_EP_BULK    2
#define USB_EP_INTR    3
#define USB_DIR_IN     0x80 /* endpoint address bit 7 (USB 2.0 table 9-13) */

/* bmRequestType (USB 2.0 table 9-2) */
#define USB_REQ_IN	  0x80
#define USB_REQ_CLASS	  0x20
#define USB_REQ_DEVICE	  0x00
#define USB_REQ_INTERFACE 0x01
#define USB_REQ_OTHER	  0x03 /* a hub port (USB 2.0 table 11-15) */
/* bRequest (USB 2.0 table 9-4) */
#define USB_GET_STATUS	      0
#define USB_CLEAR_FEATURE     1
#define USB_SET_FEATURE	      3
#define USB_SET_ADDRESS	      5
#define USB_GET_DESCRIPTOR    6
#define USB_SET_CONFIGURATION 9
#define USB_SET_INTERFACE     11
/* descriptor types (USB 2.0 table 9-5; 0x24 CDC 1.2 table 12; 0x29 USB 2.0 table 11-13) */
#define USB_DT_DEVICE	    1
#define USB_DT_CONFIG	    2
#define USB_DT_STRING	    3
#define USB_DT_INTERFACE    4
#define USB_DT_ENDPOINT	    5
#define USB_DT_CS_INTERFACE 0x24
#define USB_DT_HUB	    0x29

#define USB_CLASS_HUB 9

/* The standard device descriptor (USB 2.0 table 9-8), as it arrives on the wire. */
struct usb_device_desc {
	uint8_t bLength, bDescriptorType;
	uint16_t bcdUSB;
	uint8_t bDeviceClass, bDeviceSubClass, bDeviceProtocol, bMaxPacketSize0;
	uint16_t idVendor, idProduct, bcdDevice;
	uint8_t iManufacturer, iProduct, iSerialNumber, bNumConfigurations;
} __attribute__((packed));

struct usb_device {
	uint8_t addr;  /* 0 until SET_ADDRESS */
	uint8_t speed; /* USB_SPEED_* */
	uint8_t port;  /* on the parent hub, 1-based; 0 on the root port */
	uint8_t depth; /* 0 on the root port */
	struct usb_device *parent;
	struct usb_device_desc desc;
	uint32_t toggle; /* bulk/interrupt: 1 = DATA1 next; bit n OUT endpoint n, 16 + n IN */
	void *class_priv;
};

/*
 * One transfer on one endpoint. Fill the public part, then usb_submit(). The buffer must be
 * 64-byte aligned and a whole number of cache lines (the controller reads and writes it by DMA
 * and the driver cleans or invalidates it by line). The controller writes at most len bytes
 * into it: an IN transfer whose len is not a whole number of packets goes through a bounce
 * buffer of 1024 bytes, so such a transfer must fit in it once rounded up to whole packets
 * (usb_submit refuses it otherwise, and any mps above 1024, len above 65535 or more than 511
 * packets: USB_XFER_MAX_PACKETS). A device that sends more than len ends the transfer with
 * -EOVERFLOW and len bytes.
 */
#define USB_MAX_PACKET_SIZE  1024 /* wMaxPacketSize, bits 10..0 (USB 2.0 section 9.6.6) */
#define USB_XFER_MAX_PACKETS 511  /* Linux dwc2 params.c, BCM2835: max_packet_count */
#define USB_PID_AUTO	     0xff /* bulk/interrupt: the endpoint's data toggle */
#define USB_PID_DATA0	     0
#define USB_PID_DATA1	     2
#define USB_PID_SETUP	     3
struct usb_xfer {
	struct usb_device *dev;
	uint8_t ep;   /* endpoint number | USB_DIR_IN */
	uint8_t type; /* USB_EP_* */
	uint8_t pid;  /* USB_PID_*: control stages name theirs */
	uint16_t mps; /* the endpoint's wMaxPacketSize */
	void *buf;
	uint32_t len;
	/* results, valid in done() */
	uint32_t actual;
	int status; /* 0, -EPIPE (STALL), -EAGAIN (interrupt endpoint NAKed), -EOVERFLOW (babble,
		     * or more than len), -EIO */
	/* Interrupt context: the transfer is over and may be submitted again from here. */
	void (*done)(struct usb_xfer *x);
	void *arg;
	struct uk_sem sem; /* private: usb_transfer_wait */
};

/* ---- dwc2.c ---- */
int dwc2_init(uintptr_t base, unsigned irq, uint32_t bus_offset);
/* Waits (sleeping) for a device on the root port and resets it: 0 and its speed, or -ENODEV. */
int dwc2_root_port_reset(uint8_t *speed);
/* Starts x on a free channel: 0, -EBUSY when every channel is in use, -EINVAL for a transfer
 * outside the limits above. Any context. */
int usb_submit(struct usb_xfer *x);
/* Gives up on a submitted transfer (a timeout): its channel is disabled, done() is not called. */
void usb_cancel(struct usb_xfer *x);

/* ---- usb_core.c ---- */
/* Submits x and blocks until it is done or timeout_ns passed: x->status. Thread context. */
int usb_transfer_wait(struct usb_xfer *x, uint64_t timeout_ns);
/* A control transfer (USB 2.0 section 8.5.3): bytes of data moved, or -errno. Thread context. */
int usb_control(struct usb_device *d, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		void *data, uint16_t len);
/* Reads string descriptor idx as ASCII (non-ASCII becomes '?'): its length or -errno. */
int usb_string(struct usb_device *d, uint8_t idx, char *out, size_t max);
/* Enumerates the device that was just reset on parent's port (NULL parent: the root port). */
struct usb_device *usb_enumerate(struct usb_device *parent, uint8_t port, uint8_t speed);
/* An interrupt endpoint's polling period in milliseconds (at least 1) from its bInterval
 * (USB 2.0 section 9.6.6, table 9-13): 1..255 frames of 1 ms at full and low speed (0 taken
 * as 1), 2^(bInterval-1) microframes of 125 us at high speed, where bInterval is 1..16 and a
 * device's other values are clamped to that range. Any context. */
static inline unsigned usb_interval_ms(uint8_t speed, uint8_t bInterval)
{
	if (speed != USB_SPEED_HIGH)
		return bInterval ? bInterval : 1;
	unsigned b = bInterval < 1 ? 1 : bInterval > 16 ? 16 : bInterval;
	return b > 4 ? 1u << (b - 4) : 1; /* 2^(b-1) * 125 us, at least 1 ms */
}
/* Descriptor walking: the next descriptor in [p, end), or NULL. */
const uint8_t *usb_desc_next(const uint8_t *p, const uint8_t *end);
void usb_sleep_ms(unsigned ms);
const char *usb_speed_name(uint8_t speed);

/* A class driver: probe() looks at one configuration (all of its descriptors) and returns 0 when
 * it selected that configuration and took the device. Thread context. */
struct usb_driver {
	const char *name;
	int (*probe)(struct usb_device *d, const uint8_t *config, size_t len);
};
extern const struct usb_driver usb_hub_driver, cdc_ecm_driver, smsc95xx_driver, lan78xx_driver;
/* Offers every device enumerated from now on to drv, after the drivers added before it (a
 * driver added twice counts once). The board adds the ones it wants before usb_start: the
 * core names none, so it links only those. Thread context. */
void usb_add_driver(const struct usb_driver *drv);

/* Vendor-specific register access both SMSC/Microchip chips use (LAN9514 and LAN7800
 * datasheets, "USB Vendor Commands"): bRequest 0xA0 writes, 0xA1 reads one 32-bit register,
 * wIndex = its address, four little-endian data bytes. */
#define USB_REQ_VENDOR		  0x40
#define USB_VENDOR_WRITE_REGISTER 0xa0
#define USB_VENDOR_READ_REGISTER  0xa1

/* ---- network devices (usb_core.c keeps the list) ---- */
struct netdev;
/* A class driver offers its network device. link_check (may be NULL: the link counts as up)
 * runs on the core's "usb-net" thread (thread context: it may do control transfers) about
 * once a second and soon after usb_net_link_event(); it returns 1 link up, 0 down, -errno. */
void usb_net_register(struct netdev *nd, int (*link_check)(struct netdev *nd));
/* Any context (an interrupt endpoint's completion): run the link checks soon. */
void usb_net_link_event(void);
/* The first network device a class driver registered, or NULL. */
struct netdev *usb_netdev(void);
/* The link state the last check found: 1 up, 0 down, -1 not checked yet. */
int usb_net_link(const struct netdev *nd);
/* The board's MAC address source, set before usb_start (0 and mac filled, or -1). */
void usb_net_set_mac_source(int (*fn)(uint8_t mac[6]));
/* The board's address for a chip without one of its own: 0, or -1 when there is none. */
int usb_net_board_mac(uint8_t mac[6]);

/* ---- cdc_ecm.c ---- */
struct netdev *cdc_ecm_netdev(void); /* the first ECM device enumerated, or NULL */

#endif
