/*
 * A register-level model of the Broadcom GENET v5 MAC and its BCM54213PE PHY, for testing
 * runtime/drivers/genet.c on the host. It follows the GENET v5 register map as documented in
 * Linux's bcmgenet.h (the same public source the driver cites) and behaves like the hardware
 * where the driver depends on it:
 *  - SYS_REV_CTRL says v5 (major 6), or the device is absent and every read returns 0 or ~0;
 *  - UMAC_CMD's SW_RESET clears the MAC address; the PHY's BMCR reset self-clears after 2 ms;
 *  - MDIO commands take 25 us, then clear START_BUSY, raise MDIO_DONE (unless mdio_irq_never)
 *    and talk to the PHY at address 1 (any other address fails with READ_FAIL);
 *  - auto-negotiation with a cable partner completes 50 ms after it restarts; BMSR's link bit
 *    is latched low; LPA and STAT1000 tell what the partner offers;
 *  - the receive engine writes a frame into the buffer of the descriptor at its write pointer
 *    (only while UMAC RX_EN, RDMA DMA_EN and ring 16 are on and the ring has room), advances
 *    PROD_INDEX (16 bits, starting near the wrap and not at a multiple of any ring size, as a
 *    network bootloader may leave it) and raises RXDMA_MBDONE. With RBUF_CTRL's RBUF_64B_EN the
 *    buffer starts with the 64-byte status block (its first word: length_status), with
 *    RBUF_ALIGN_2B two pad bytes follow; the frame comes after them, and length_status's length
 *    counts them (as Linux's bcmgenet reads it);
 *  - the transmit engine consumes descriptors up to PROD_INDEX, puts each frame on the wire
 *    while the link is up, advances CONS_INDEX and raises TXDMA_MBDONE;
 *  - index_addressing: which descriptor the engines use next is their counter modulo the ring
 *    size (what U-Boot's driver assumes) instead of their read/write pointer registers.
 * Caches are modelled as well: the DMA engines see "memory", a shadow copy of the buffers
 * that only dcache_clean_range (CPU -> memory) and dcache_inval_range (memory -> CPU) move
 * data through, so a driver that forgets either sends or receives stale bytes.
 * Orderings the hardware forbids (ring registers written while DMA runs, RX/TX enabled before
 * their ring is set up, MDIO started while busy, consumer index past the producer) count as
 * violations, with the last one described in last_violation.
 */
#ifndef GENET_MODEL_H
#define GENET_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_SIZE	     0x10000
#define GM_WIRE_MAX  512
#define GM_FRAME_MAX 4096

struct gm_frame {
	size_t len;
	uint8_t data[GM_FRAME_MAX];
};

struct genet_model {
	/* configuration (set before use) */
	uint32_t rev;	       /* SYS_REV_CTRL */
	bool absent;	       /* no device: reads return absent_value, writes vanish */
	uint32_t absent_value; /* 0 or 0xffffffff */
	bool cable;	       /* a link partner is connected */
	uint16_t partner_lpa;  /* its clause 22 abilities (MII_LPA layout) */
	uint16_t partner_1000; /* its 1000BASE-T abilities (MII_STAT1000 layout) */
	bool tx_paused;	       /* the transmit engine holds still (to fill the ring) */
	bool phy_absent;       /* nobody answers on MDIO */
	bool index_addressing; /* descriptors follow the counters, not the pointer registers */
	bool mdio_irq_never;   /* MDIO transactions end without raising MDIO_DONE (Circle's
				* driver says the MDIO interrupts do not work on this chip) */
	/* state */
	uint64_t now_ns;
	uint32_t reg[GM_SIZE / 4];
	uint16_t rx_prod, tx_cons; /* hardware counters */
	unsigned rx_wptr, tx_rptr; /* descriptor pointers, in words */
	uint16_t phy[32];
	/* Broadcom vendor shadows (Linux's brcmphy.h): auxiliary control (register 0x18, 8
	 * shadows; 7 is misc control, its bit 8 the RGMII RX skew) and the "1c" shadows (register
	 * 0x1c, 32 of 10 bits; 3 is clock alignment, its bit 9 the GTXCLK delay). Reset: both
	 * delays on, the defaults U-Boot's and Circle's working "MAC adds none" setup implies. */
	uint16_t aux[8], shd[32];
	unsigned aux_read, shd_read;	/* selected for the next read */
	unsigned vendor_writes;		/* writes to 0x18 or 0x1c */
	uint16_t misc_reset, clk_reset; /* aux[7] and shd[3] after a reset (config) */
	bool phy_resetting, an_running, an_done, link_latched_low;
	uint64_t phy_reset_done_ns, an_done_ns;
	bool mdio_busy;
	uint64_t mdio_done_ns;
	/* observations */
	unsigned writes, reads;
	unsigned violations;
	char last_violation[200];
	unsigned rx_missed; /* frames the wire brought that the engine could not store */
	unsigned tx_sent_while_down;
	unsigned wire_count; /* frames transmitted, oldest first in wire[] */
	struct gm_frame wire[GM_WIRE_MAX];
};

void gm_init(struct genet_model *m);
uint32_t gm_read(struct genet_model *m, uint32_t off);
void gm_write(struct genet_model *m, uint32_t off, uint32_t v);
void gm_advance(struct genet_model *m, uint64_t ns); /* lets model time pass */
bool gm_irq0(const struct genet_model *m);	     /* INTRL2_0's line: pending & ~mask */
bool gm_link_up(const struct genet_model *m);
void gm_set_cable(struct genet_model *m, bool connected);

/* The wire delivers a frame. Returns 0 when stored in a buffer, -1 when the engine could not
 * take it (off, no link, ring full: counted in rx_missed). */
int gm_receive(struct genet_model *m, const void *frame, size_t len);
/* Stores len bytes (at most the buffer size) but reports length_status exactly as given: a
 * descriptor the driver must judge on its own. */
int gm_receive_raw(struct genet_model *m, const void *data, size_t len, uint32_t length_status);

/* The cache model (host addresses; the driver hands its buffers' addresses to the device). */
void gm_cache_clean(const void *p, size_t n);
void gm_cache_inval(const void *p, size_t n);
void gm_cache_reset(void);

#endif
