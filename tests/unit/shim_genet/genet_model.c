/* The GENET v5 + BCM54213PE host model: see genet_model.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genet_model.h"

/* GENET v5 register map as documented in Linux's bcmgenet.h (offsets from the base) */
#define REV_CTRL	  0x0000
#define RBUF_FLUSH	  0x0008
#define RBUF_CTRL	  0x0300
#define RBUF_64B_EN	  (1u << 0)
#define RBUF_ALIGN_2B	  (1u << 1)
#define RSB_SIZE	  64
#define OOB_CTRL	  0x008c
#define INTRL2_0	  0x0200
#define INTRL2_1	  0x0240
#define I_STAT		  0x00
#define I_SET		  0x04
#define I_CLEAR		  0x08
#define I_MASK_STATUS	  0x0c
#define I_MASK_SET	  0x10
#define I_MASK_CLEAR	  0x14
#define IRQ_RXDMA	  (1u << 13)
#define IRQ_TXDMA	  (1u << 16)
#define IRQ_MDIO_DONE	  (1u << 23)
#define UMAC_CMD	  0x0808
#define CMD_TX_EN	  (1u << 0)
#define CMD_RX_EN	  (1u << 1)
#define CMD_CRC_FWD	  (1u << 6)
#define CMD_SW_RESET	  (1u << 13)
#define UMAC_MAC0	  0x080c
#define UMAC_MAC1	  0x0810
#define UMAC_MAX_FRAME	  0x0814
#define MDIO_CMD	  0x0e14
#define MDIO_BUSY	  (1u << 29)
#define MDIO_FAIL	  (1u << 28)
#define MDIO_OP(v)	  (((v) >> 26) & 3) /* 2 read, 1 write */
#define MDIO_PHY(v)	  (((v) >> 21) & 0x1f)
#define MDIO_REG(v)	  (((v) >> 16) & 0x1f)
#define RX_DESC		  0x2000
#define TX_DESC		  0x4000
#define RDMA_RING16	  (RX_DESC + 0xc00 + 0x400)
#define TDMA_RING16	  (TX_DESC + 0xc00 + 0x400)
#define RDMA_REGS	  (RX_DESC + 0xc00 + 0x440)
#define TDMA_REGS	  (TX_DESC + 0xc00 + 0x440)
#define R_WRITE_PTR	  0x00
#define R_PROD		  0x08
#define R_CONS		  0x0c
#define R_READ_PTR	  0x2c
#define T_READ_PTR	  0x00
#define T_CONS		  0x08
#define T_PROD		  0x0c
#define T_WRITE_PTR	  0x2c
#define BUF_SIZE	  0x10
#define START_ADDR	  0x14
#define END_ADDR	  0x1c
#define RING_CFG	  0x00
#define DMA_CTRL	  0x04
#define DMA_EN		  1u
#define DMA_STATUS	  0x08
#define RING16_EN	  (1u << 17)
#define LS_SOP		  (1u << 13)
#define LS_EOP		  (1u << 14)
#define LS_LG		  (1u << 4)
#define PHY_ADDR	  1
#define MDIO_NS		  25000
#define PHY_RESET_NS	  2000000
#define AN_NS		  50000000
#define BMSR_ABILITIES	  0x7949 /* 100/10 full/half, extended status, AN able, extended */
#define ADVERTISE_DEFAULT 0x01e1
#define CTRL1000_DEFAULT  0x0300

static uint32_t *R(struct genet_model *m, uint32_t off)
{
	return &m->reg[off / 4];
}

static void violation(struct genet_model *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->last_violation, sizeof(m->last_violation), fmt, ap);
	va_end(ap);
	m->violations++;
}

/* ---- the cache model: "memory" as the DMA engines see it, by 64-byte line ---- */

#define LINE	     64
#define SHADOW_SLOTS 65536 /* lines; open addressing */
static struct {
	uintptr_t addr; /* line address, 0 = free */
	uint8_t data[LINE];
} * shadow;

static uint8_t *shadow_line(uintptr_t line)
{
	if (!shadow)
		shadow = calloc(SHADOW_SLOTS, sizeof(*shadow));
	size_t h = (line / LINE * 2654435761u) % SHADOW_SLOTS;
	for (size_t i = 0; i < SHADOW_SLOTS; i++, h = (h + 1) % SHADOW_SLOTS) {
		if (shadow[h].addr == line)
			return shadow[h].data;
		if (shadow[h].addr == 0) {
			shadow[h].addr = line; /* never written back: memory holds zeros */
			return shadow[h].data;
		}
	}
	abort(); /* more DMA memory than a test should need */
}

void gm_cache_reset(void)
{
	free(shadow);
	shadow = NULL;
}

void gm_cache_clean(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(LINE - 1);
	for (; a < (uintptr_t)p + n; a += LINE)
		memcpy(shadow_line(a), (const void *)a, LINE);
}

void gm_cache_inval(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(LINE - 1);
	for (; a < (uintptr_t)p + n; a += LINE)
		memcpy((void *)a, shadow_line(a), LINE);
}

static void dma_write(uintptr_t addr, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		shadow_line((addr + i) & ~(uintptr_t)(LINE - 1))[(addr + i) % LINE] = src[i];
}

static void dma_read(uintptr_t addr, uint8_t *dst, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = shadow_line((addr + i) & ~(uintptr_t)(LINE - 1))[(addr + i) % LINE];
}

/* ---- PHY ---- */

static void phy_defaults(struct genet_model *m)
{
	memset(m->phy, 0, sizeof(m->phy));
	m->phy[0] = 0x1140; /* AN enabled, full duplex, 1000 Mbit/s selected */
	m->phy[2] = 0x600d;
	m->phy[3] = 0x84a2;
	m->phy[4] = ADVERTISE_DEFAULT;
	m->phy[9] = CTRL1000_DEFAULT;
	memset(m->aux, 0, sizeof(m->aux));
	memset(m->shd, 0, sizeof(m->shd));
	m->aux[7] = m->misc_reset;
	m->shd[3] = m->clk_reset;
	m->aux_read = m->shd_read = 0;
}

bool gm_link_up(const struct genet_model *m)
{
	return m->cable && m->an_done && !m->phy_resetting;
}

static void link_drop(struct genet_model *m)
{
	if (gm_link_up(m))
		m->link_latched_low = true;
	m->an_done = false;
}

static void an_restart(struct genet_model *m)
{
	link_drop(m);
	m->an_running = true;
	m->an_done_ns = m->now_ns + AN_NS;
}

void gm_set_cable(struct genet_model *m, bool connected)
{
	if (!connected) {
		link_drop(m);
		m->cable = false;
		return;
	}
	m->cable = true;
	if (m->phy[0] & 0x1000)
		an_restart(m);
}

static uint16_t phy_read(struct genet_model *m, unsigned reg)
{
	switch (reg) {
	case 0:
		return m->phy[0] | (m->phy_resetting ? 0x8000 : 0);
	case 1: {
		uint16_t v = BMSR_ABILITIES;
		if (gm_link_up(m) && !m->link_latched_low)
			v |= 0x0004;
		if (gm_link_up(m))
			v |= 0x0020;
		m->link_latched_low = false;
		return v;
	}
	case 5:
		return gm_link_up(m) ? m->partner_lpa : 0;
	case 10:
		return gm_link_up(m) ? m->partner_1000 : 0;
	case 0x18:
		return (uint16_t)(m->aux[m->aux_read] | (m->aux_read == 7 ? 0x7007 : m->aux_read));
	case 0x1c:
		return (uint16_t)(m->shd_read << 10 | m->shd[m->shd_read]);
	default:
		return m->phy[reg];
	}
}

static void phy_write(struct genet_model *m, unsigned reg, uint16_t v)
{
	if (m->phy_resetting)
		return; /* registers are not writable during reset */
	switch (reg) {
	case 0:
		if (v & 0x8000) {
			link_drop(m);
			phy_defaults(m);
			m->phy_resetting = true;
			m->an_running = false;
			m->phy_reset_done_ns = m->now_ns + PHY_RESET_NS;
			return;
		}
		m->phy[0] = v & ~0x0200; /* restart self-clears */
		if ((v & 0x1000) && (v & 0x0200))
			an_restart(m);
		return;
	case 1:
	case 2:
	case 3:
	case 5:
	case 10:
		return; /* read-only */
	case 0x18:
		m->vendor_writes++;
		if ((v & 7) != 7)
			m->aux[v & 7] = v & 0xfff8u;
		else if (v & 0x8000)
			m->aux[7] = v & 0x0ff8u; /* misc control's data: bits 11:3 */
		else
			m->aux_read = (v >> 12) & 7; /* a read selection */
		return;
	case 0x1c:
		m->vendor_writes++;
		if (v & 0x8000)
			m->shd[(v >> 10) & 0x1f] = v & 0x3ffu;
		else
			m->shd_read = (v >> 10) & 0x1f;
		return;
	default:
		m->phy[reg] = v;
	}
}

/* ---- DMA engines ---- */

static bool rx_on(struct genet_model *m)
{
	return (*R(m, UMAC_CMD) & CMD_RX_EN) && !(*R(m, UMAC_CMD) & CMD_SW_RESET) &&
	       (*R(m, RDMA_REGS + DMA_CTRL) & (DMA_EN | RING16_EN)) == (DMA_EN | RING16_EN);
}

static bool tx_on(struct genet_model *m)
{
	return (*R(m, UMAC_CMD) & CMD_TX_EN) && !(*R(m, UMAC_CMD) & CMD_SW_RESET) &&
	       (*R(m, TDMA_REGS + DMA_CTRL) & (DMA_EN | RING16_EN)) == (DMA_EN | RING16_EN);
}

static bool ring_ready(struct genet_model *m, bool rx)
{
	uint32_t ring = rx ? RDMA_RING16 : TDMA_RING16, regs = rx ? RDMA_REGS : TDMA_REGS;
	uint32_t start = *R(m, ring + START_ADDR), end = *R(m, ring + END_ADDR);
	uint32_t n = *R(m, ring + BUF_SIZE) >> 16;
	return (*R(m, regs + RING_CFG) & (1u << 16)) && end > start && (end - start + 1) % 3 == 0 &&
	       (end - start + 1) / 3 == n && (*R(m, ring + BUF_SIZE) & 0xffff) != 0 &&
	       end < 256 * 3;
}

static unsigned ring_size(struct genet_model *m, bool rx)
{
	return *R(m, (rx ? RDMA_RING16 : TDMA_RING16) + BUF_SIZE) >> 16;
}

static unsigned next_ptr(struct genet_model *m, bool rx, unsigned ptr)
{
	uint32_t ring = rx ? RDMA_RING16 : TDMA_RING16;
	ptr += 3;
	return ptr > *R(m, ring + END_ADDR) ? *R(m, ring + START_ADDR) : ptr;
}

/* The descriptor (register offset) the engine uses next: its pointer, or its counter. */
static uint32_t engine_desc(struct genet_model *m, bool rx)
{
	if (m->index_addressing) {
		uint32_t ring = rx ? RDMA_RING16 : TDMA_RING16;
		unsigned first = *R(m, ring + START_ADDR) / 3;
		unsigned n = ring_size(m, rx);
		uint16_t idx = rx ? m->rx_prod : m->tx_cons;
		return (rx ? RX_DESC : TX_DESC) + (first + (n ? idx % n : 0)) * 12;
	}
	return rx ? RX_DESC + m->rx_wptr / 3 * 12 : TX_DESC + m->tx_rptr / 3 * 12;
}

static uintptr_t desc_addr(struct genet_model *m, uint32_t desc)
{
	return (uintptr_t)((uint64_t)*R(m, desc + 8) << 32 | *R(m, desc + 4));
}

static void tx_run(struct genet_model *m)
{
	if (!tx_on(m) || m->tx_paused)
		return;
	uint16_t prod = (uint16_t)*R(m, TDMA_RING16 + T_PROD);
	while (m->tx_cons != prod) {
		uint32_t d = engine_desc(m, false);
		uint32_t ls = *R(m, d);
		size_t len = (ls >> 16) & 0xfff;
		uintptr_t a = desc_addr(m, d);
		if ((ls & (LS_SOP | LS_EOP)) != (LS_SOP | LS_EOP) || a == 0)
			violation(m, "TX descriptor %u: length_status %08x, address %lx",
				  (d - TX_DESC) / 12, ls, (unsigned long)a);
		else if (!gm_link_up(m))
			m->tx_sent_while_down++;
		else if (m->wire_count < GM_WIRE_MAX) {
			struct gm_frame *f = &m->wire[m->wire_count++];
			f->len = len;
			dma_read(a, f->data, len);
		}
		m->tx_cons++;
		m->tx_rptr = next_ptr(m, false, m->tx_rptr);
		*R(m, INTRL2_0 + I_STAT) |= IRQ_TXDMA;
	}
}

static int rx_store(struct genet_model *m, const void *data, size_t len, uint32_t ls, bool raw)
{
	if (!rx_on(m) || !gm_link_up(m)) {
		m->rx_missed++;
		return -1;
	}
	uint16_t cons = (uint16_t)*R(m, RDMA_RING16 + R_CONS);
	if ((uint16_t)(m->rx_prod - cons) >= ring_size(m, true)) {
		m->rx_missed++; /* no free buffer: the frame is lost */
		return -1;
	}
	uint32_t d = engine_desc(m, true);
	uintptr_t a = desc_addr(m, d);
	size_t buf = *R(m, RDMA_RING16 + BUF_SIZE) & 0xffff;
	if (a == 0) {
		violation(m, "RX descriptor %u has no buffer", (d - RX_DESC) / 12);
		return -1;
	}
	uint32_t rbuf = *R(m, RBUF_CTRL);
	size_t hdr = (rbuf & RBUF_64B_EN ? RSB_SIZE : 0) + (rbuf & RBUF_ALIGN_2B ? 2 : 0);
	if (!raw) {
		ls = (uint32_t)(len + hdr) << 16 | LS_SOP | LS_EOP;
		if (len > *R(m, UMAC_MAX_FRAME))
			ls |= LS_LG;
		if (((const uint8_t *)data)[0] & 1)
			ls |= 0x20; /* multicast or broadcast, as the hardware flags it */
	}
	uint8_t head[RSB_SIZE + 2];
	memset(head, 0xe5, sizeof(head)); /* what else the block and pad hold: not the frame */
	if (rbuf & RBUF_64B_EN)
		for (int i = 0; i < 4; i++)
			head[i] = (uint8_t)(ls >> (8 * i)); /* length_status, little-endian */
	dma_write(a, head, hdr);
	dma_write(a + hdr, data, len < buf - hdr ? len : buf - hdr);
	*R(m, d) = ls;
	m->rx_prod++;
	m->rx_wptr = next_ptr(m, true, m->rx_wptr);
	*R(m, INTRL2_0 + I_STAT) |= IRQ_RXDMA;
	return 0;
}

int gm_receive(struct genet_model *m, const void *frame, size_t len)
{
	return rx_store(m, frame, len, 0, false);
}

int gm_receive_raw(struct genet_model *m, const void *data, size_t len, uint32_t length_status)
{
	return rx_store(m, data, len, length_status, true);
}

/* ---- registers ---- */

void gm_init(struct genet_model *m)
{
	memset(m, 0, sizeof(*m));
	m->rev = 0x06000000;	/* v5.0 */
	m->misc_reset = 0x0190; /* RX skew, RGMII mode, wirespeed */
	m->clk_reset = 0x0200;	/* GTXCLK delay */
	*R(m, INTRL2_0 + I_MASK_STATUS) = ~0u;
	*R(m, INTRL2_1 + I_MASK_STATUS) = ~0u;
	*R(m, UMAC_MAX_FRAME) = 1518;
	/* counters left near the 16-bit wrap, as after a previous life */
	m->rx_prod = 0xff85;
	m->tx_cons = 0xffd3;
	m->cable = true;
	m->partner_lpa = 0x45e1; /* 10/100 full/half, pause, ack */
	m->partner_1000 = 0x0c00;
	phy_defaults(m);
}

bool gm_irq0(const struct genet_model *m)
{
	return !m->absent &&
	       (m->reg[(INTRL2_0 + I_STAT) / 4] & ~m->reg[(INTRL2_0 + I_MASK_STATUS) / 4]);
}

void gm_advance(struct genet_model *m, uint64_t ns)
{
	m->now_ns += ns;
	if (m->mdio_busy && m->now_ns >= m->mdio_done_ns) {
		uint32_t c = *R(m, MDIO_CMD);
		uint32_t v = c & ~(MDIO_BUSY | 0xffffu);
		if (MDIO_PHY(c) != PHY_ADDR || m->phy_absent)
			v |= MDIO_FAIL;
		else if (MDIO_OP(c) == 2)
			v |= phy_read(m, MDIO_REG(c));
		else if (MDIO_OP(c) == 1)
			phy_write(m, MDIO_REG(c), (uint16_t)c), v |= c & 0xffff;
		*R(m, MDIO_CMD) = v;
		m->mdio_busy = false;
		if (!m->mdio_irq_never)
			*R(m, INTRL2_0 + I_STAT) |= IRQ_MDIO_DONE;
	}
	if (m->phy_resetting && m->now_ns >= m->phy_reset_done_ns)
		m->phy_resetting = false;
	if (m->an_running && m->cable && !m->phy_resetting && m->now_ns >= m->an_done_ns) {
		m->an_running = false;
		m->an_done = true;
	}
	tx_run(m); /* the engine works on its own as time passes */
}

uint32_t gm_read(struct genet_model *m, uint32_t off)
{
	m->reads++;
	if (off >= GM_SIZE || off % 4)
		abort();
	if (m->absent)
		return m->absent_value;
	switch (off) {
	case REV_CTRL:
		return m->rev;
	case RDMA_RING16 + R_PROD:
		return m->rx_prod;
	case TDMA_RING16 + T_CONS:
		return m->tx_cons;
	case MDIO_CMD:
		return *R(m, off) | (m->mdio_busy ? MDIO_BUSY : 0);
	case RDMA_REGS + DMA_STATUS:
	case TDMA_REGS + DMA_STATUS:
		return (*R(m, off - DMA_STATUS + DMA_CTRL) & DMA_EN) ? 0 : 1; /* 1: disabled */
	default:
		return *R(m, off);
	}
}

static bool is_ring_reg(uint32_t off, bool rx)
{
	uint32_t ring = rx ? RDMA_RING16 : TDMA_RING16;
	uint32_t regs = rx ? RDMA_REGS : TDMA_REGS;
	if (off == regs + RING_CFG)
		return true;
	if (off < ring || off >= ring + 0x40)
		return false;
	off -= ring;
	return off == BUF_SIZE || off == START_ADDR || off == END_ADDR ||
	       off == (rx ? R_WRITE_PTR : T_READ_PTR) || off == (rx ? R_READ_PTR : T_WRITE_PTR);
}

void gm_write(struct genet_model *m, uint32_t off, uint32_t v)
{
	m->writes++;
	if (off >= GM_SIZE || off % 4)
		abort();
	if (m->absent)
		return;
	for (int rx = 0; rx < 2; rx++)
		if (is_ring_reg(off, rx) &&
		    (*R(m, (rx ? RDMA_REGS : TDMA_REGS) + DMA_CTRL) & DMA_EN))
			violation(m, "%s ring register %#x written while its DMA runs",
				  rx ? "RX" : "TX", off);
	switch (off) {
	case REV_CTRL:
		return;
	case INTRL2_0 + I_SET:
	case INTRL2_1 + I_SET:
		*R(m, off - I_SET + I_STAT) |= v;
		return;
	case INTRL2_0 + I_CLEAR:
	case INTRL2_1 + I_CLEAR:
		*R(m, off - I_CLEAR + I_STAT) &= ~v;
		return;
	case INTRL2_0 + I_MASK_SET:
	case INTRL2_1 + I_MASK_SET:
		*R(m, off - I_MASK_SET + I_MASK_STATUS) |= v;
		return;
	case INTRL2_0 + I_MASK_CLEAR:
	case INTRL2_1 + I_MASK_CLEAR:
		*R(m, off - I_MASK_CLEAR + I_MASK_STATUS) &= ~v;
		return;
	case INTRL2_0 + I_STAT:
	case INTRL2_0 + I_MASK_STATUS:
	case INTRL2_1 + I_STAT:
	case INTRL2_1 + I_MASK_STATUS:
		return; /* read-only */
	case UMAC_CMD:
		if (v & CMD_SW_RESET) {
			*R(m, UMAC_MAC0) = 0;
			*R(m, UMAC_MAC1) = 0;
			*R(m, UMAC_MAX_FRAME) = 1518;
		}
		if ((v & CMD_RX_EN) && !(*R(m, off) & CMD_RX_EN) &&
		    (!ring_ready(m, true) ||
		     (*R(m, RDMA_REGS + DMA_CTRL) & (DMA_EN | RING16_EN)) != (DMA_EN | RING16_EN)))
			violation(m, "UMAC RX enabled before the receive ring and its DMA");
		if ((v & CMD_TX_EN) && !(*R(m, off) & CMD_TX_EN) &&
		    (!ring_ready(m, false) ||
		     (*R(m, TDMA_REGS + DMA_CTRL) & (DMA_EN | RING16_EN)) != (DMA_EN | RING16_EN)))
			violation(m, "UMAC TX enabled before the transmit ring and its DMA");
		if (v & CMD_CRC_FWD)
			violation(m, "CRC forwarding on: frames would carry their FCS");
		*R(m, off) = v;
		tx_run(m);
		return;
	case MDIO_CMD:
		if (m->mdio_busy) {
			violation(m, "MDIO command %08x written while busy", v);
			return;
		}
		*R(m, off) = v & ~MDIO_BUSY;
		if (v & MDIO_BUSY) {
			m->mdio_busy = true;
			m->mdio_done_ns = m->now_ns + MDIO_NS;
		}
		return;
	case RDMA_REGS + DMA_CTRL:
	case TDMA_REGS + DMA_CTRL: {
		bool rx = off == RDMA_REGS + DMA_CTRL;
		if ((v & DMA_EN) && (v & RING16_EN) && !ring_ready(m, rx))
			violation(m, "%s DMA enabled on ring 16 before the ring is set up",
				  rx ? "RX" : "TX");
		*R(m, off) = v;
		tx_run(m);
		return;
	}
	case RDMA_RING16 + R_PROD:
	case TDMA_RING16 + T_CONS:
		return; /* the hardware's counters */
	case RDMA_RING16 + R_WRITE_PTR:
		m->rx_wptr = v;
		break;
	case TDMA_RING16 + T_READ_PTR:
		m->tx_rptr = v;
		break;
	case RDMA_RING16 + R_CONS:
		if ((uint16_t)(m->rx_prod - (uint16_t)v) > ring_size(m, true))
			violation(m, "RX consumer index %04x past the producer %04x", v,
				  m->rx_prod);
		break;
	case TDMA_RING16 + T_PROD:
		if ((uint16_t)((uint16_t)v - m->tx_cons) > ring_size(m, false))
			violation(m, "TX producer index %04x more than a ring ahead of %04x", v,
				  m->tx_cons);
		*R(m, off) = v;
		tx_run(m);
		return;
	}
	*R(m, off) = v;
}
