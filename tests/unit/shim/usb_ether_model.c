/* The shared parts of the USB Ethernet chip models (usb_ether_model.h). */
#include "usb_ether_model.h"

#include <errno.h>
#include <string.h>

#define BMCR_RESET     0x8000
#define BMCR_ANENABLE  0x1000
#define BMCR_ANRESTART 0x0200 /* clears itself */
#define BMSR_LINK      (1u << 2)
#define BMSR_ANEG_DONE (1u << 5)
#define E2P_BUSY       (1u << 31)
#define E2P_TIMEOUT    (1u << 10)
#define MII_BUSY       (1u << 0)

uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- the PHY ---- */

void phy_model_reset(struct phy_model *p)
{
	memcpy(p->reg, p->defaults, sizeof(p->reg));
	p->latched_down = false;
}

void phy_model_raise(struct phy_model *p, uint16_t status)
{
	p->reg[p->int_status] |= status;
	if (p->reg[p->int_mask] & status)
		p->irq();
}

void phy_model_aneg(struct phy_model *p)
{
	p->reg[1] &= (uint16_t) ~(BMSR_LINK | BMSR_ANEG_DONE);
	p->reg[5] = 0;
	if (p->gigabit)
		p->reg[10] = 0;
	if (!p->cable)
		return;
	p->reg[1] |= BMSR_LINK | BMSR_ANEG_DONE;
	p->reg[5] = p->partner;
	if (p->gigabit)
		p->reg[10] = p->partner1000;
	phy_model_raise(p, p->aneg_irq);
}

void phy_model_unplug(struct phy_model *p, uint16_t status)
{
	p->cable = false;
	p->reg[1] &= (uint16_t)~BMSR_LINK;
	p->latched_down = true;
	phy_model_raise(p, status);
}

/* The LAN88xx's paged and MMD registers; true when it handled the access. */
static bool lan88xx_access(struct phy_model *p, unsigned r, bool write, uint16_t *v)
{
	if (!p->lan88xx)
		return false;
	if (r == 31) {
		if (write)
			p->page = *v;
		else
			*v = p->page;
		return true;
	}
	if (p->page == 0x52b5) {
		uint16_t *t = r == 16	? &p->tr_cr
			      : r == 17 ? &p->tr_low
			      : r == 18 ? &p->tr_high
					: NULL;
		if (!t) {
			p->bad_page++;
		} else if (!write) {
			*v = *t;
		} else {
			*t = *v;
			if (r == 16 && (*v & 0x8000) && !(*v & 0x6000) && p->tr_count < 32) {
				p->tr_addr[p->tr_count] = *v & 0x1fff;
				p->tr_data[p->tr_count++] =
				    (uint32_t)(p->tr_high & 0xff) << 16 | p->tr_low;
			}
		}
		return true;
	}
	if (p->page != 0) {
		p->bad_page++;
		return true;
	}
	if (r == 13) {
		if (write)
			p->mmd_ctrl = *v;
		else
			*v = p->mmd_ctrl;
		return true;
	}
	if (r == 14) {
		bool data = (p->mmd_ctrl & 0xc000) == 0x4000, mmd3 = (p->mmd_ctrl & 0x1f) == 3;
		if (!data) {
			if (write)
				p->mmd_addr = *v;
			else
				*v = p->mmd_addr;
		} else if (mmd3 && p->mmd_addr == 0x806a) {
			if (write)
				p->mmd3_phy_cfg = *v;
			else
				*v = p->mmd3_phy_cfg;
		} else {
			p->bad_page++;
		}
		return true;
	}
	return false;
}

static uint16_t phy_read(struct phy_model *p, unsigned r)
{
	uint16_t v = p->reg[r];
	if (lan88xx_access(p, r, false, &v))
		return v;
	if (r == 0 && (v & BMCR_RESET) && --p->reset_reads == 0) /* a reset takes two reads */
		p->reg[0] &= (uint16_t)~BMCR_RESET;
	if (r == 1) {
		if (p->latched_down)
			v &= (uint16_t)~BMSR_LINK;
		p->latched_down = false;
	}
	if (r == p->int_status)
		p->reg[r] = 0;
	return v;
}

static void phy_write(struct phy_model *p, unsigned r, uint16_t v)
{
	if (lan88xx_access(p, r, true, &v))
		return;
	if (r == 0) {
		if (v & BMCR_RESET) {
			phy_model_reset(p);
			p->reg[0] |= BMCR_RESET;
			p->reset_reads = 2;
			return;
		}
		p->reg[0] = v & (uint16_t)~BMCR_ANRESTART;
		if ((v & BMCR_ANENABLE) && (v & BMCR_ANRESTART))
			phy_model_aneg(p);
		return;
	}
	if (r == 1 || r == 5 || (r == 10 && p->gigabit) || r == p->int_status)
		return; /* read-only */
	p->reg[r] = v;
}

void phy_model_access(struct phy_model *p, uint32_t acc, uint32_t *data)
{
	unsigned phy = (acc >> 11) & 31, reg = (acc >> 6) & 31;
	if (phy != 1) {
		p->bad_addr++;
		*data = 0xffff;
	} else if (acc & 2) {
		phy_write(p, reg, (uint16_t)*data);
	} else {
		*data = phy_read(p, reg);
	}
}

/* ---- the EEPROM ---- */

void eeprom_model_init(struct eeprom_model *e, bool present, const uint8_t *mac)
{
	memset(e->data, 0xff, sizeof(e->data));
	e->present = present;
	e->reads = e->busy = 0;
	if (mac) {
		e->data[0] = 0xa5;
		memcpy(e->data + 1, mac, 6);
	}
}

uint32_t eeprom_model_cmd(struct eeprom_model *e, uint32_t cmd, bool answers, uint32_t *data)
{
	unsigned op = (cmd >> 28) & 7, a = cmd & 0x1ff;
	cmd &= ~E2P_TIMEOUT;
	if (!e->present || !answers) {
		cmd |= E2P_TIMEOUT;
	} else if (op == 0) {
		*data = e->data[a];
		e->reads++;
	}
	return cmd | E2P_BUSY;
}

/* ---- bulk OUT ---- */

bool bulk_out_take(struct bulk_out_log *o, uint8_t ep, const uint8_t *data, uint32_t len)
{
	if (ep == 0 && len == 8) {
		memcpy(o->setup, data, 8);
		o->setups++; /* the setup stage of a control transfer the driver runs itself */
		return false;
	}
	if (ep != 0x02) {
		o->bad++;
		return false;
	}
	if (len == 0) {
		o->zlps++;
		if (!o->zlp_due)
			o->bad++;
		o->zlp_due = false;
		return false;
	}
	if (o->zlp_due)
		o->bad++; /* the previous transfer was never ended */
	o->zlp_due = len % 512 == 0;
	return true;
}

void bulk_out_keep(struct bulk_out_log *o, const uint8_t *frame, uint32_t n)
{
	if (o->count < 64) {
		memcpy(o->frame[o->count], frame, n);
		o->len[o->count] = n;
	}
	o->count++;
}

/* ---- vendor requests ---- */

static void write_reg(const struct vendor_regs *v, unsigned r, uint32_t val)
{
	if (r == v->mii_acc && (val & MII_BUSY)) {
		phy_model_access(v->phy, val, &v->reg[v->mii_data / 4]);
		v->phy->busy = 1;
		v->reg[r / 4] = val;
	} else if (r == v->e2p_cmd && (val & E2P_BUSY)) {
		bool answers = !v->eeprom_answers || v->eeprom_answers();
		v->reg[r / 4] = eeprom_model_cmd(v->eeprom, val, answers, &v->reg[v->e2p_data / 4]);
		v->eeprom->busy = 1;
	} else {
		v->write(r, val);
	}
}

static uint32_t read_reg(const struct vendor_regs *v, unsigned r)
{
	uint32_t val = v->read(r);
	if (r == v->mii_acc && v->phy->busy && --v->phy->busy == 0)
		v->reg[r / 4] &= ~MII_BUSY;
	if (r == v->e2p_cmd && v->eeprom->busy && --v->eeprom->busy == 0)
		v->reg[r / 4] &= ~E2P_BUSY;
	return val;
}

static const struct vendor_regs *regs;

/* A control request: 4 (bytes moved) or -EPIPE. */
static int vendor_control(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint8_t *data,
			  uint16_t len)
{
	const struct vendor_regs *v = regs;
	bool rd = type == 0xc0 && req == 0xa1, wr = type == 0x40 && req == 0xa0;
	if ((!rd && !wr) || value != 0 || len != 4 || !v->known(index)) {
		(*v->bad_requests)++;
		return -EPIPE;
	}
	if (wr)
		write_reg(v, index, le32(data));
	else
		put_le32(data, read_reg(v, index));
	return 4;
}

const struct chip_ops *vendor_chip(const struct vendor_regs *v,
				   void (*bulk_out)(uint8_t ep, const uint8_t *data, uint32_t len))
{
	static struct chip_ops ops;
	regs = v;
	ops = (struct chip_ops){vendor_control, bulk_out};
	return &ops;
}
