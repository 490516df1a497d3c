/*
 * drivers/usb/smsc95xx.c (with usb_ether.c) against a register-level model of the LAN9514's
 * Ethernet function (LAN9512/LAN9514 datasheet): self-clearing lite and PHY resets, an EEPROM
 * behind E2P_CMD/E2P_DATA, MII access to a PHY with autonegotiation and a latched-low link bit,
 * the interrupt endpoint's INT_STS word, the RX status word framing of bulk IN data and the TX
 * command words A/B of bulk OUT data. The model refuses registers the chip does not have and
 * notes every write that comes in the wrong order (RX/TX on before reset and address). What
 * the LAN7800's model and checks share with this one is in shim/usb_ether_model.c and
 * shim/usb_ether_checks.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "usb_ether_checks.h"
#include "usb_ether_model.h"
#include "usb_model.h"

extern const struct usb_driver smsc95xx_driver;

/* ---- the chip model ---- */
#define ID_REV	    0x000
#define INT_STS	    0x008
#define RX_CFG	    0x00c
#define TX_CFG	    0x010
#define HW_CFG	    0x014
#define PM_CTRL	    0x020
#define E2P_CMD	    0x030
#define E2P_DATA    0x034
#define BURST_CAP   0x038
#define INT_EP_CTL  0x068
#define BULK_IN_DLY 0x06c
#define MAC_CR	    0x100
#define ADDRH	    0x104
#define ADDRL	    0x108
#define MII_ADDR    0x114
#define MII_DATA    0x118
#define FLOW	    0x11c
#define COE_CR	    0x130

#define PHY_INT	  (1u << 15)
#define LRST	  (1u << 3)
#define BIR	  (1u << 12)
#define MEF	  (1u << 5)
#define BCE	  (1u << 1)
#define PHY_RST	  (1u << 4)
#define TX_ON	  (1u << 2)
#define TXEN	  (1u << 3)
#define RXEN	  (1u << 2)
#define FDPX	  (1u << 20)
#define RCVOWN	  (1u << 23)
#define MCPAS	  (1u << 19)
#define PRMS	  (1u << 18)
#define BCAST_OFF (1u << 11)
/* the PHY's vendor interrupt source (read to clear) and mask, and two of their bits */
#define PHY_INT_SRC  29
#define PHY_INT_MASK 30
#define ANEG_DONE    (1u << 6)
#define LINK_DOWN    (1u << 4)

static struct {
	uint32_t reg[0x134 / 4];
	struct phy_model phy;
	struct eeprom_model eeprom;
	unsigned lrst_busy, phyrst_busy; /* reads until a bit clears */
	bool reset_done, phy_reset_done, addrl_set, addrh_set;
	unsigned order_errors, bad_requests;
	struct bulk_out_log out;
	uint32_t id;
} chip;

static bool known_reg(unsigned r)
{
	static const uint16_t regs[] = {
	    ID_REV, INT_STS, RX_CFG,  TX_CFG,	HW_CFG,	   0x018, 0x01c,      PM_CTRL,	  0x024,
	    0x028,  0x02c,   E2P_CMD, E2P_DATA, BURST_CAP, 0x064, INT_EP_CTL, BULK_IN_DLY};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i] == r)
			return true;
	return r >= MAC_CR && r <= COE_CR && r % 4 == 0;
}

static void phy_irq(void)
{
	chip.reg[INT_STS / 4] |= PHY_INT;
}

static void lite_reset(void)
{
	uint32_t keep_int_ep = 0;
	memset(chip.reg, 0, sizeof(chip.reg));
	chip.reg[ID_REV / 4] = chip.id;
	chip.reg[BULK_IN_DLY / 4] = 0x2000;
	chip.reg[ADDRH / 4] = 0xffff;
	chip.reg[ADDRL / 4] = 0xffffffff;
	chip.reg[INT_EP_CTL / 4] = keep_int_ep;
	chip.reset_done = true;
	chip.addrl_set = chip.addrh_set = false;
	chip.lrst_busy = 2;
}

static void check_enable(uint32_t old, uint32_t val, uint32_t bits)
{
	if ((val & bits & ~old) &&
	    !(chip.reset_done && chip.phy_reset_done && chip.addrl_set && chip.addrh_set))
		chip.order_errors++;
}

static void reg_write(unsigned r, uint32_t v)
{
	uint32_t *p = &chip.reg[r / 4], old = *p;
	switch (r) {
	case ID_REV:
		return;
	case INT_STS:
		*p &= ~v;
		return;
	case HW_CFG:
		if (v & LRST) {
			lite_reset();
			chip.reg[HW_CFG / 4] = LRST;
			return;
		}
		break;
	case PM_CTRL:
		if (v & PHY_RST) {
			phy_model_reset(&chip.phy);
			chip.phy_reset_done = true;
			chip.phyrst_busy = 2;
		}
		break;
	case ADDRL:
		chip.addrl_set = true;
		break;
	case ADDRH:
		chip.addrh_set = true;
		v &= 0xffff;
		break;
	case MAC_CR:
		check_enable(old, v, TXEN | RXEN);
		break;
	case TX_CFG:
		check_enable(old, v, TX_ON);
		break;
	}
	*p = v;
}

static uint32_t reg_read(unsigned r)
{
	uint32_t v = chip.reg[r / 4];
	if (r == HW_CFG && chip.lrst_busy && --chip.lrst_busy == 0)
		chip.reg[r / 4] &= ~LRST;
	if (r == PM_CTRL && chip.phyrst_busy && --chip.phyrst_busy == 0)
		chip.reg[r / 4] &= ~PHY_RST;
	return v;
}

static const struct vendor_regs regs = {.reg = chip.reg,
					.known = known_reg,
					.read = reg_read,
					.write = reg_write,
					.mii_acc = MII_ADDR,
					.mii_data = MII_DATA,
					.e2p_cmd = E2P_CMD,
					.e2p_data = E2P_DATA,
					.phy = &chip.phy,
					.eeprom = &chip.eeprom,
					.eeprom_answers = NULL,
					.bad_requests = &chip.bad_requests};

/* TX command A: buffer size 10:0, first/last segment 13/12, data offset 20:16, end alignment
 * 25:24; command B: packet length 10:0. One whole frame per transfer. */
static void bulk_out(uint8_t ep, const uint8_t *d, uint32_t len)
{
	if (!bulk_out_take(&chip.out, ep, d, len))
		return;
	if (!(chip.reg[MAC_CR / 4] & TXEN) || !(chip.reg[TX_CFG / 4] & TX_ON) || len < 8) {
		chip.out.bad++;
		return;
	}
	uint32_t a = le32(d), b = le32(d + 4), n = a & 0x7ff;
	if (!(a & (1u << 13)) || !(a & (1u << 12)) || ((a >> 16) & 0x1f) || ((a >> 24) & 3) ||
	    (b & 0x7ff) != n || n != len - 8 || n < 14) {
		chip.out.bad++;
		return;
	}
	bulk_out_keep(&chip.out, d + 8, n);
}

static void chip_init(bool eeprom, const uint8_t *mac)
{
	memset(&chip, 0, sizeof(chip));
	chip.id = 0xec000002;
	lite_reset();
	chip.reset_done = false;
	chip.lrst_busy = 0;
	struct phy_model *p = &chip.phy;
	p->defaults[0] = 0x3100; /* 100 Mb/s, autonegotiation on, full duplex */
	p->defaults[1] = 0x7809; /* 10/100 capable, autonegotiation able, extended */
	p->defaults[4] = 0x01e1;
	p->int_status = PHY_INT_SRC;
	p->int_mask = PHY_INT_MASK;
	p->aneg_irq = ANEG_DONE;
	p->irq = phy_irq;
	p->cable = true;
	p->partner = 0x41e1; /* 10/100 half and full, acknowledge */
	phy_model_reset(p);
	eeprom_model_init(&chip.eeprom, eeprom, mac);
	model_reset(vendor_chip(&regs, bulk_out));
}

/* ---- helpers ---- */

static struct netdev *probe(int *result)
{
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 4);
	struct usb_device *d = model_device(0x0424, 0xec00, USB_SPEED_HIGH);
	*result = smsc95xx_driver.probe(d, cfg, n);
	return *result == 0 ? model_netdev() : NULL;
}

static struct netdev *probe_fresh(int *result)
{
	chip_init(false, NULL);
	return probe(result);
}

/* Appends one frame as the chip delivers it: status word (length with FCS 29:16, flags), the
 * frame, FCS, padding to 4 bytes. */
static uint32_t put_frame(uint8_t *b, uint32_t off, uint32_t flags, const uint8_t *f, uint32_t n)
{
	uint8_t st[4];
	put_le32(st, ((n + 4) << 16) | flags);
	return put_raw(b, off, st, 4, f, n);
}

static const struct ether_dut dut = {
    .probe = probe_fresh,
    .put_frame = put_frame,
    .rx_hdr = 4,
    .bad = {1u << 15 | 1u << 1, 1u << 12}, /* error summary + CRC error; length error */
    .sizes = {60, 1514, 61},
    .good = {100, 61},
    .seed = 12345,
    .out = &chip.out,
    .phy = &chip.phy,
    .int_sts = &chip.reg[INT_STS / 4],
    .phy_int = PHY_INT,
};

/* ---- tests ---- */

static void test_probe_eeprom(void)
{
	static const uint8_t mac[6] = {0xb8, 0x27, 0xeb, 0x12, 0x34, 0x56};
	chip_init(true, mac);
	int r;
	struct netdev *nd = probe(&r);
	CHECK(r == 0 && nd, "probe takes 0424:ec00 (%d)", r);
	if (!nd)
		return;
	CHECK(model_config_value == 1, "configuration 1 selected");
	CHECK(chip.reset_done && chip.phy_reset_done, "lite reset and PHY reset done");
	CHECK(memcmp(nd->mac, mac, 6) == 0, "MAC address from the EEPROM");
	CHECK(chip.reg[ADDRL / 4] == 0x12eb27b8 && chip.reg[ADDRH / 4] == 0x5634,
	      "ADDRL/ADDRH hold it, first byte least significant (%08x %04x)",
	      (unsigned)chip.reg[ADDRL / 4], (unsigned)chip.reg[ADDRH / 4]);
	uint32_t mac_cr = chip.reg[MAC_CR / 4], hw = chip.reg[HW_CFG / 4];
	CHECK((mac_cr & (TXEN | RXEN)) == (TXEN | RXEN) && (chip.reg[TX_CFG / 4] & TX_ON),
	      "transmitter and receiver on");
	CHECK(chip.order_errors == 0, "RX/TX enabled only after resets and the address");
	CHECK((mac_cr & MCPAS) && !(mac_cr & PRMS) && !(mac_cr & BCAST_OFF),
	      "MAC_CR: all multicast, broadcast, not promiscuous (%08x)", (unsigned)mac_cr);
	CHECK((hw & (MEF | BCE | BIR)) == (MEF | BCE | BIR) && !(hw & (3u << 9)),
	      "HW_CFG: multiple frames, burst cap, NAK when empty, no RX offset (%08x)",
	      (unsigned)hw);
	CHECK(chip.reg[BURST_CAP / 4] == 16384 / 512, "BURST_CAP fits the receive buffer (%u)",
	      (unsigned)chip.reg[BURST_CAP / 4]);
	CHECK(chip.reg[INT_EP_CTL / 4] & PHY_INT, "PHY interrupts reach the interrupt endpoint");
	CHECK(chip.reg[0x24 / 4] == 0x01110000, "LED_GPIO_CFG: the GPIOs drive the LEDs (%08x)",
	      (unsigned)chip.reg[0x24 / 4]);
	CHECK(chip.phy.reg[4] == 0x01e1 &&
		  (chip.phy.reg[PHY_INT_MASK] & (ANEG_DONE | LINK_DOWN)) == (ANEG_DONE | LINK_DOWN),
	      "PHY advertises 10/100 half/full, interrupts on link down and autoneg done");
	check_started();
	CHECK(strstr(model_log, "(eeprom)") != NULL, "the log says where the address came from");
	CHECK(chip.bad_requests == 0 && chip.phy.bad_addr == 0 && model_errors == 0,
	      "no bad requests (%u), PHY addresses (%u) or bus misuse (%u)", chip.bad_requests,
	      chip.phy.bad_addr, model_errors);
}

static void test_mac_sources(void)
{
	static const uint8_t board[6] = {0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03};
	int r;
	chip_init(false, NULL);
	model_set_board_mac(board);
	struct netdev *nd = probe(&r);
	CHECK(nd && memcmp(nd->mac, board, 6) == 0 && chip.reg[ADDRL / 4] == 0x0132a6dc &&
		  chip.reg[ADDRH / 4] == 0x0302,
	      "no EEPROM: the board's address, in ADDRL/ADDRH");
	CHECK(strstr(model_log, "(board)") != NULL, "logged as the board's");

	chip_init(true, NULL); /* an EEPROM, but blank */
	model_set_board_mac(board);
	nd = probe(&r);
	CHECK(nd && memcmp(nd->mac, board, 6) == 0, "blank EEPROM: the board's address");

	static const uint8_t multicast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	chip_init(true, multicast);
	model_set_board_mac(NULL);
	nd = probe(&r);
	CHECK(nd && !(nd->mac[0] & 1) && (nd->mac[0] & 2),
	      "invalid EEPROM address, no board address: a local unicast one");
	CHECK(model_errors == 0 && chip.order_errors == 0, "no misuse");
}

static void test_foreign(void)
{
	chip_init(true, NULL);
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 4);
	struct usb_device *d = model_device(0x0525, 0xa4a2, USB_SPEED_FULL);
	CHECK(smsc95xx_driver.probe(d, cfg, n) == -ENODEV && model_config_value == 0,
	      "another device (0525:a4a2) is left alone");
	d = model_device(0x0424, 0x7800, USB_SPEED_HIGH);
	CHECK(smsc95xx_driver.probe(d, cfg, n) == -ENODEV, "so is a LAN7800");
	d = model_device(0x0424, 0xec00, USB_SPEED_HIGH);
	CHECK(smsc95xx_driver.probe(d, cfg, 18) == -ENODEV, "and one without its endpoints");
}

/* Descriptors a hostile device could send (issue 17.13): bulk packet sizes the 16 KiB receive
 * buffers cannot take in whole packets are refused before SET_CONFIGURATION; bInterval 255 at
 * high speed (USB 2.0 range 1..16) is clamped, not shifted by 251 (undefined: UBSan fails). */
static void test_hostile(void)
{
	static const uint16_t bad_mps[] = {1000, 2047, 1024, 0, 8};
	for (size_t i = 0; i < sizeof(bad_mps) / sizeof(bad_mps[0]); i++) {
		chip_init(true, NULL);
		uint8_t cfg[64];
		size_t n = model_config(cfg, bad_mps[i], 4);
		struct usb_device *d = model_device(0x0424, 0xec00, USB_SPEED_HIGH);
		CHECK(smsc95xx_driver.probe(d, cfg, n) == -ENODEV && model_config_value == 0 &&
			  !model_pending(0x81),
		      "bulk wMaxPacketSize %u: refused before configuring, nothing received",
		      bad_mps[i]);
	}
	chip_init(true, NULL);
	uint8_t cfg[64];
	size_t n = model_config(cfg, 512, 255);
	struct usb_device *d = model_device(0x0424, 0xec00, USB_SPEED_HIGH);
	CHECK(smsc95xx_driver.probe(d, cfg, n) == 0 && model_pending(0x83),
	      "interrupt bInterval 255 at high speed: taken, INT_STS polled");
	model_fail(0x83, -EAGAIN);
	model_advance_ms(4095);
	bool early = model_pending(0x83) != NULL;
	model_advance_ms(1);
	CHECK(!early && model_pending(0x83), "again after 4096 ms (bInterval clamped to 16)");
}

/* The link, and MAC_CR's duplex following it (the LAN9514's MAC does not by itself). */
static void test_link(void)
{
	chip_init(false, NULL);
	int r;
	struct netdev *nd = probe(&r);
	if (!nd)
		return;
	CHECK(model_link_check() == 1, "autonegotiated: link up");
	CHECK((chip.reg[MAC_CR / 4] & FDPX) && !(chip.reg[MAC_CR / 4] & RCVOWN),
	      "100 full duplex: MAC_CR.FDPX set");
	CHECK(strstr(model_log, "link up, 100 Mb/s full duplex") != NULL, "logged");
	check_link_cycle(&dut, LINK_DOWN, 0x4021 /* 10 half duplex only */, 0,
			 "link up, 10 Mb/s half duplex");
	CHECK(!(chip.reg[MAC_CR / 4] & FDPX) && (chip.reg[MAC_CR / 4] & RCVOWN),
	      "10 half duplex: FDPX clear, receive-own off");
	CHECK(model_errors == 0 && chip.bad_requests == 0, "no misuse");
}

int main(void)
{
	test_probe_eeprom();
	test_mac_sources();
	test_foreign();
	test_hostile();
	test_link();
	check_receive(&dut);
	check_ring(&dut);
	check_faults(&dut);
	check_fuzz(&dut);
	check_transmit(&dut, "command words A/B right");
	return TAP_DONE();
}
