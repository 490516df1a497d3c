/*
 * CDC Ethernet Control Model (USB CDC ECM 1.2) class driver, as a struct netdev: QEMU's usb-net
 * (0525:a4a2) and any ECM adapter. Ethernet frames travel unframed on the data interface's bulk
 * endpoints (ECM 1.2 section 3.3.1): one frame per transfer, and a transfer ends with a short
 * packet, or with a zero-length packet when the frame is a whole number of packets. That is how
 * Linux's usbnet/cdc_ether sends, and what QEMU's usb-net waits for before it passes a frame on.
 *
 * The data path is usb_ether.c's, as for the SMSC/Microchip chips, in its "one frame per
 * transfer" mode: no headers, no padding, no FCS. Receive: a ring of 2 KiB transfers; one that
 * fills its whole buffer was not ended by a short packet, so it and what follows up to the next
 * short packet are one frame, dropped and counted once (likewise after a transfer error).
 * Transmit: a ring of frames, each followed by a ZLP when it fills whole packets, one packet
 * per transfer at full speed (see ecm_probe). Errors (a busy controller, failed transfers,
 * STALLs) are handled there too (struct ue_recover).
 * What is left here is CDC: the descriptors, iMACAddress and SetEthernetPacketFilter.
 * The notification endpoint (link up/down, section 6.3) is not read: the link counts as up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "usb.h"
#include "usb_ether.h"

#define CDC_CLASS_COMM	      0x02 /* CDC 1.2 table 3 */
#define CDC_SUBCLASS_ECM      0x06 /* CDC 1.2 table 4 */
#define CDC_CLASS_DATA	      0x0a /* CDC 1.2 table 6 */
#define CDC_ETHERNET_FUNC     0x0f /* Ethernet Networking Functional Descriptor, ECM 1.2 5.4 */
#define CDC_SET_PACKET_FILTER 0x43 /* SetEthernetPacketFilter, ECM 1.2 section 6.2.4 */
#define PACKET_TYPE_DIRECTED  (1u << 2)
#define PACKET_TYPE_BROADCAST (1u << 3)
#define PACKET_TYPE_ALL_MCAST (1u << 1)

static const struct ue_chip ecm_chip = {
    .name = "usb-ecm",
    .rx_slots = 32,
    .rx_buf = 2048, /* more than a frame: QEMU's DWC2 moves such transfers in one go */
    .tx_unpadded = true,
    .frame_max = ETH_FRAME_MAX, /* no VLAN tag */
};

static struct usb_ether *ecm;

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static int ecm_probe(struct usb_device *d, const uint8_t *cfg, size_t len)
{
	if (ecm)
		return -EBUSY; /* one network device is all the stack uses */
	const uint8_t *end = cfg + len, *in = NULL, *out = NULL;
	int comm = -1, data = -1, data_alt = -1, cur_class = -1, cur_iface = -1, cur_alt = 0;
	uint8_t mac_idx = 0;
	for (const uint8_t *p = cfg; p; p = usb_desc_next(p, end)) {
		if (p[1] == USB_DT_INTERFACE && p[0] >= 9) {
			cur_iface = p[2];
			cur_alt = p[3];
			cur_class = p[5];
			if (p[5] == CDC_CLASS_COMM && p[6] == CDC_SUBCLASS_ECM && comm < 0)
				comm = p[2];
		} else if (p[1] == USB_DT_CS_INTERFACE && p[0] >= 13 && p[2] == CDC_ETHERNET_FUNC &&
			   cur_iface == comm && comm >= 0) {
			mac_idx = p[3];
		} else if (p[1] == USB_DT_ENDPOINT && p[0] >= 7 && cur_class == CDC_CLASS_DATA &&
			   comm >= 0 && (p[3] & 3) == USB_EP_BULK &&
			   (data < 0 || data == cur_iface)) {
			if (p[2] & USB_DIR_IN)
				in = p;
			else
				out = p;
			data = cur_iface;
			data_alt = cur_alt;
		}
	}
	if (comm < 0 || data < 0 || !in || !out || !ue_ep_mps(in) || !ue_ep_mps(out))
		return -ENODEV;

	struct usb_ether *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	int r = ue_data_init(e, d, &ecm_chip, in, out);
	if (r < 0) {
		ue_data_free(e);
		free(e);
		return r;
	}
	if (usb_control(d, USB_REQ_DEVICE, USB_SET_CONFIGURATION, cfg[5], 0, NULL, 0) < 0) {
		ue_data_free(e);
		free(e);
		return -EIO;
	}
	/* The data interface's alternate setting 0 has no endpoints; selecting the one with the
	 * bulk pair starts the function (ECM 1.2 section 3.3). */
	if (data_alt > 0)
		usb_control(d, USB_REQ_INTERFACE, USB_SET_INTERFACE, (uint16_t)data_alt,
			    (uint16_t)data, NULL, 0);
	usb_control(d, USB_REQ_CLASS | USB_REQ_INTERFACE, CDC_SET_PACKET_FILTER,
		    PACKET_TYPE_DIRECTED | PACKET_TYPE_BROADCAST | PACKET_TYPE_ALL_MCAST,
		    (uint16_t)comm, NULL, 0);

	/* iMACAddress: 12 hex digits, most significant first (ECM 1.2 section 5.4). */
	char s[16];
	bool mac_ok = usb_string(d, mac_idx, s, sizeof(s)) == 12;
	for (int i = 0; mac_ok && i < 6; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		mac_ok = hi >= 0 && lo >= 0;
		e->netdev.mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!mac_ok) { /* locally administered, unicast */
		static const uint8_t fallback[6] = {0x02, 0x75, 0x6b, 0x00, 0x00, 0x02};
		memcpy(e->netdev.mac, fallback, 6);
	}
	const uint8_t *m = e->netdev.mac;
	kprintf("usb-ecm: device %u: interfaces %d/%d, bulk in %#x out %#x (%u/%u bytes), "
		"mac %02x:%02x:%02x:%02x:%02x:%02x%s\n",
		d->addr, comm, data, in[2], out[2], ue_ep_mps(in), ue_ep_mps(out), m[0], m[1], m[2],
		m[3], m[4], m[5], mac_ok ? "" : " (no iMACAddress: made up)");

	/* Full speed (64-byte packets, QEMU's usb-net among them): one packet per transfer.
	 * QEMU's DWC2 model moves one packet of a multi-packet OUT transfer per 250 us tick but
	 * completes a one-packet transfer at once; on the wire the packets are the same. High
	 * speed: the whole frame in one transfer. */
	if (d->speed != USB_SPEED_HIGH)
		e->tx_chunk = e->mps_out;
	d->class_priv = e;
	ue_data_start(e);
	ecm = e;
	usb_net_register(&e->netdev, NULL); /* no link check: the link counts as up */
	return 0;
}

struct netdev *cdc_ecm_netdev(void)
{
	return ecm ? &ecm->netdev : NULL;
}

const struct usb_driver cdc_ecm_driver = {.name = "cdc-ecm", .probe = ecm_probe};
