/*
 * The parts of the register-level chip models in test_smsc95xx.c (LAN9514) and test_lan78xx.c
 * (LAN7800) that behave the same on both chips, as the drivers' shared usb_ether.c assumes:
 *   - 32-bit registers behind vendor control requests 0xA0 (write) and 0xA1 (read);
 *   - a clause 22 PHY at address 1 behind an address/command register (PHY 15:11, register
 *     10:6, write 1, busy 0) and a data register, with auto-negotiation against a partner, a
 *     latched-low link bit, a self-clearing reset and a vendor interrupt status/mask pair;
 *   - an EEPROM behind E2P_CMD (busy 31, command 30:28, timeout 10, address 8:0) and E2P_DATA;
 *   - the bulk OUT endpoint's transfers: one frame each, a ZLP after one filling whole packets.
 * Each chip's file keeps its register map, its resets, and its RX/TX header formats.
 */
#ifndef UK_TEST_USB_ETHER_MODEL_H
#define UK_TEST_USB_ETHER_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "usb_model.h"

uint32_t le32(const uint8_t *p);
void put_le32(uint8_t *p, uint32_t v);

struct phy_model {
	uint16_t reg[32];
	uint16_t defaults[32]; /* after a reset */
	uint8_t int_status;    /* the vendor interrupt status register: read to clear */
	uint8_t int_mask;      /* and its mask */
	uint16_t aneg_irq;     /* the status bit raised when auto-negotiation completes */
	bool gigabit;	       /* MII_STAT1000 (10) holds partner1000 */
	bool cable;	       /* a partner is plugged in */
	bool latched_down;     /* BMSR's link bit reads 0 once (the link dropped) */
	uint16_t partner;      /* the partner's ability word (MII_LPA) */
	uint16_t partner1000;  /* and its 1000BASE-T bits (MII_STAT1000) */
	unsigned reset_reads;  /* BMCR reads until a reset clears */
	unsigned bad_addr;     /* accesses to another PHY address */
	unsigned busy;	       /* reads of the MII address register until busy clears */
	void (*irq)(void);     /* an unmasked interrupt status bit got set */
	/* The LAN88xx's extras (the LAN7800's PHY; Linux's microchipphy.h): register 31 selects
	 * a page; on page 0x52B5, 17/18 hold a 24-bit value and a write to 16 with bit 15 set
	 * stores it in the token-ring (DSP) register that bits 12:0 name, bit 15 staying set;
	 * registers 13/14 reach MMD 3 (IEEE 802.3 annex 22D), of which 0x806A is kept. */
	bool lan88xx;
	uint16_t page, tr_low, tr_high, tr_cr;
	unsigned tr_count;
	uint16_t tr_addr[32];
	uint32_t tr_data[32];
	uint16_t mmd_ctrl, mmd_addr, mmd3_phy_cfg;
	unsigned bad_page; /* accesses to a page the model does not know */
};
void phy_model_reset(struct phy_model *p); /* the defaults, as after power-on or a reset */
void phy_model_raise(struct phy_model *p, uint16_t status);
/* Auto-negotiation (re)started: link and partner words when the cable is in. */
void phy_model_aneg(struct phy_model *p);
/* The cable is pulled: the link bit drops (latched) and `status` is raised. */
void phy_model_unplug(struct phy_model *p, uint16_t status);
/* A write to the MII address/command register with busy set; *data is the data register. */
void phy_model_access(struct phy_model *p, uint32_t acc, uint32_t *data);

struct eeprom_model {
	uint8_t data[512];
	bool present;
	unsigned reads;
	unsigned busy; /* reads of E2P_CMD until busy clears */
};
/* Fills it: blank, or programmed with the signature byte and mac (NULL: blank). */
void eeprom_model_init(struct eeprom_model *e, bool present, const uint8_t *mac);
/* A write of cmd to E2P_CMD with busy set: the register's new value (timeout set when the
 * EEPROM does not answer: absent, or answers is false); a read loads *data. */
uint32_t eeprom_model_cmd(struct eeprom_model *e, uint32_t cmd, bool answers, uint32_t *data);

/* The chip's registers as the vendor requests reach them. The MII and EEPROM register pairs
 * are handled here (the busy bit of each clears after one read); the chip's read and write see
 * every other access, and its read every read, to return the register and act on it. */
struct vendor_regs {
	uint32_t *reg;		     /* the register file, indexed by offset / 4 */
	bool (*known)(unsigned reg); /* a register the chip has */
	uint32_t (*read)(unsigned reg);
	void (*write)(unsigned reg, uint32_t val);
	uint16_t mii_acc, mii_data, e2p_cmd, e2p_data;
	struct phy_model *phy;
	struct eeprom_model *eeprom;
	bool (*eeprom_answers)(void); /* NULL: whenever it is there */
	unsigned *bad_requests;	      /* anything else: counted here and STALLed */
};
/* The chip_ops for model_reset() of a chip with registers v and that bulk OUT endpoint (one
 * chip at a time: each call replaces the last). */
const struct chip_ops *vendor_chip(const struct vendor_regs *v,
				   void (*bulk_out)(uint8_t ep, const uint8_t *data, uint32_t len));

/* What the bulk OUT endpoint (0x02, 512-byte packets) received. */
struct bulk_out_log {
	unsigned count, zlps, bad; /* frames kept, ZLPs, transfers that were wrong */
	bool zlp_due;
	uint8_t setup[8]; /* the last setup packet on endpoint 0 (clearing a halt) */
	unsigned setups;
	uint8_t frame[64][1600];
	uint32_t len[64];
};
/* A transfer of len bytes on ep: true when it carries a frame for the chip to parse; ZLPs (due
 * or not), setup packets on endpoint 0, wrong endpoints and a missing ZLP are dealt with and
 * counted here. */
bool bulk_out_take(struct bulk_out_log *o, uint8_t ep, const uint8_t *data, uint32_t len);
void bulk_out_keep(struct bulk_out_log *o, const uint8_t *frame, uint32_t n);

#endif
