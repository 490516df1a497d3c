/*
 * Host tests for the Pi 4's GENET v5 driver (runtime/drivers/genet.c, bcm54213_phy.c) against
 * the register-level model in shim_genet/genet_model.c. The driver runs unchanged: its
 * register accesses, cache maintenance, timers, sleeps and interrupt go to the model and to
 * the small kernel stand-ins below, on a simulated clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uk/thread.h>
#include <uk/time.h>

#include <libfdt.h>

#include "bcm54213_phy.h"
#include "drivers.h"
#include "fake_timer.h"
#include "genet_model.h"
#include "netdev.h"
#include "tap.h"

#define BASE 0xfd580000ul
#define IRQ  189

static struct genet_model model;
static struct genet_model *m = &model;

/* ---- kernel stand-ins ---- */

static void (*irq_fn)(void *);
static void *irq_arg;
static unsigned irq_number, irq_calls;
static bool in_irq;

static void deliver_irq(void)
{
	for (int i = 0; i < 4 && !in_irq && irq_fn && gm_irq0(m); i++) {
		in_irq = true;
		irq_calls++;
		irq_fn(irq_arg);
		in_irq = false;
	}
}

uint32_t shim_mmio_read32(uintptr_t addr)
{
	if (addr < BASE || addr - BASE >= GM_SIZE) {
		fprintf(stderr, "read outside GENET: %#lx\n", (unsigned long)addr);
		abort();
	}
	return gm_read(m, (uint32_t)(addr - BASE));
}

void shim_mmio_write32(uintptr_t addr, uint32_t v)
{
	if (addr < BASE || addr - BASE >= GM_SIZE) {
		fprintf(stderr, "write outside GENET: %#lx\n", (unsigned long)addr);
		abort();
	}
	gm_write(m, (uint32_t)(addr - BASE), v);
	deliver_irq();
}

void irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	irq_number = irq;
	irq_fn = fn;
	irq_arg = arg;
}

static unsigned link_downs; /* "link down" messages */
void kprintf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	link_downs += strstr(line, "link down") != NULL;
	printf("# %s", line);
}

static uint8_t board_mac[6] = {0xdc, 0xa6, 0x32, 0x12, 0x34, 0x56};
int bcm_mailbox_board_mac(uint8_t mac[6])
{
	memcpy(mac, board_mac, 6);
	return 0;
}

static const char *rgmii_arg; /* the genet.rgmii boot argument, NULL when absent */
const char *uk_config_get(const char *key)
{
	return strcmp(key, "genet.rgmii") == 0 ? rgmii_arg : NULL;
}

uint64_t uk_now_ns(void)
{
	return m->now_ns;
}

/* Lets simulated time pass in 10 us steps: the model's events, due timers, the interrupt. */
static void advance_to(uint64_t t)
{
	while (m->now_ns < t) {
		uint64_t step = t - m->now_ns < 10000 ? t - m->now_ns : 10000;
		gm_advance(m, step);
		struct uk_timer *due;
		while ((due = fake_timer_next_due(m->now_ns))) {
			in_irq = true;
			due->fn(due, due->arg);
			in_irq = false;
		}
		deliver_irq();
	}
}

static void advance_ms(unsigned ms)
{
	advance_to(m->now_ns + (uint64_t)ms * 1000000);
}

void uk_thread_sleep_until(uint64_t deadline_ns)
{
	advance_to(deadline_ns);
}

/* ---- helpers ---- */

static unsigned rx_signals;
static void on_rx_ready(struct netdev *nd)
{
	(void)nd;
	rx_signals++;
}

static uint32_t reg(uint32_t off)
{
	return m->reg[off / 4];
}

/* A frame of len bytes whose content depends on seed; addressed to us. */
static void make_frame(uint8_t *f, size_t len, unsigned seed)
{
	static const uint8_t src[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
	if (len >= 14) {
		memcpy(f, board_mac, 6);
		memcpy(f + 6, src, 6);
		f[12] = 0x08;
		f[13] = 0x00;
	}
}

/* Sizes that cover the edges: the shortest, short of padding, exactly 60, odd, the longest. */
static size_t size_for(unsigned i)
{
	static const size_t edges[] = {14, 15, 59, 60, 61, 64, 127, 1000, 1513, 1514};
	return i % 3 == 0 ? edges[(i / 3) % 10] : 14 + (i * 97) % 1501;
}

/* ---- the tests ---- */

static void test_model_catches_mistakes(void)
{
	gm_init(m);
	gm_write(m, 0x0808, 3); /* UMAC RX/TX on with no ring */
	CHECK(m->violations == 2, "model: enabling RX/TX before ring setup is a violation (%s)",
	      m->last_violation);

	/* a transmit buffer written but not cleaned reaches the wire stale (zeros) */
	gm_init(m);
	gm_cache_reset();
	gm_set_cable(m, true);
	gm_advance(m, 60000000);
	static uint8_t buf[128] __attribute__((aligned(64)));
	memset(buf, 0xab, sizeof(buf));
	gm_write(m, 0x4c00 + 0x440 + 0x00, 1u << 16);		   /* RING_CFG */
	gm_write(m, 0x5000 + 0x10, 1u << 16 | 1536);		   /* one descriptor */
	gm_write(m, 0x5000 + 0x1c, 2);				   /* END_ADDR */
	gm_write(m, 0x4000 + 4, (uint32_t)(uintptr_t)buf);	   /* address */
	gm_write(m, 0x4000 + 8, (uint32_t)((uintptr_t)buf >> 32)); /* address hi */
	gm_write(m, 0x4000, 64u << 16 | 3u << 13);		   /* SOP | EOP */
	gm_write(m, 0x5000 + 0x0c, m->tx_cons);			   /* PROD = CONS: empty */
	gm_write(m, 0x5040 + 4, 1u | 1u << 17);			   /* TDMA on */
	gm_write(m, 0x0808, 1);					   /* UMAC TX on */
	gm_write(m, 0x5000 + 0x0c, (uint16_t)(m->tx_cons + 1));	   /* PROD */
	CHECK(m->violations == 0 && m->wire_count == 1 && m->wire[0].data[0] == 0,
	      "model: an uncleaned transmit buffer goes out stale");
}

static void test_refusals(void)
{
	static const struct {
		bool absent;
		uint32_t value;
		const char *what;
	} cases[] = {
	    {true, 0, "absent device reading 0"},
	    {true, 0xffffffff, "absent device reading all ones"},
	    {false, 0x05000000, "GENET v4 (major 5)"},
	    {false, 0x01020000, "GENET v2"},
	    {false, 0x0f000000, "major 15"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gm_init(m);
		m->absent = cases[i].absent;
		m->absent_value = cases[i].value;
		if (!cases[i].absent)
			m->rev = cases[i].value;
		struct netdev *nd = genet_probe(BASE, IRQ);
		CHECK(nd == NULL && m->writes == 0 && irq_fn == NULL,
		      "probe refuses %s without writing a register (%u writes)", cases[i].what,
		      m->writes);
	}
}

/* In a child process (the driver probes once): no cable, so probe gives up on the link. */
static void test_probe_without_cable(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gm_init(m);
		gm_cache_reset();
		m->cable = false;
		struct netdev *nd = genet_probe(BASE, IRQ);
		uint64_t t = m->now_ns;
		fflush(stdout);
		_exit(nd && genet_link_speed() == 0 && t >= 5000000000u && t < 5200000000u ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "without a cable, probe waits 5 s for a link, then returns the device link-down");
}

/* In a child process as well: a PHY that never answers leaves the device usable, link down,
 * without waiting for a link that cannot come. */
static void test_probe_without_phy(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gm_init(m);
		gm_cache_reset();
		m->phy_absent = true;
		struct netdev *nd = genet_probe(BASE, IRQ);
		uint64_t t = m->now_ns;
		advance_ms(3000); /* polls keep failing quietly */
		fflush(stdout);
		_exit(nd && genet_link_speed() == 0 && t < 100000000u && m->violations == 0 ? 0
											    : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a PHY that does not answer on MDIO: probe returns at once, link down, polls fail "
	      "quietly");
}

/* In a child process: MDIO transactions that never raise the MDIO-done interrupt. The link
 * must still come up, go down with the cable and come back, from the busy bit alone. */
static void test_link_without_mdio_irq(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gm_init(m);
		gm_cache_reset();
		m->mdio_irq_never = true;
		struct netdev *nd = genet_probe(BASE, IRQ);
		bool up = nd && genet_link_speed() == 1000 && m->now_ns < 300000000u;
		uint8_t f[100];
		make_frame(f, sizeof(f), 1);
		bool sent = nd && nd->transmit(nd, f, sizeof(f)) == 0;
		gm_set_cable(m, false);
		advance_ms(1100);
		bool down = genet_link_speed() == 0;
		gm_set_cable(m, true);
		advance_ms(400);
		bool again = genet_link_speed() == 1000;
		printf("# no MDIO interrupt: up %d, sent %d, down %d, up again %d, %u violations "
		       "(%s)\n",
		       up, sent, down, again, m->violations, m->last_violation);
		fflush(stdout);
		_exit(up && sent && down && again && m->violations == 0 ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "without MDIO-done interrupts the link comes up (polled busy bit), transmit works, "
	      "a pulled cable and its return are seen");
}

/* In a child process: an engine that takes its next descriptor from its counter modulo the
 * ring (U-Boot's reading) rather than from the pointer registers, with counters left mid-ring
 * by an earlier user. Frames must still pass byte-exact both ways. */
static void test_rings_follow_counters(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gm_init(m);
		gm_cache_reset();
		m->index_addressing = true;
		m->rx_prod = 0x1234; /* 0x1234 % 128 = 52 */
		m->tx_cons = 0x0abd; /* 0x0abd % 64 = 61 */
		struct netdev *nd = genet_probe(BASE, IRQ);
		static uint8_t f[1514], got[1514];
		unsigned tx_ok = 0, rx_ok = 0;
		for (unsigned i = 0; nd && i < 150; i++) {
			size_t len = size_for(i);
			make_frame(f, len, i);
			m->wire_count = 0;
			tx_ok += nd->transmit(nd, f, len) == 0 && m->wire_count == 1 &&
				 m->wire[0].len == (len < 60 ? 60 : len) &&
				 memcmp(m->wire[0].data, f, len) == 0;
			gm_receive(m, f, len);
			rx_ok +=
			    nd->receive(nd, got, sizeof(got)) == len && memcmp(got, f, len) == 0;
		}
		printf("# counters mid-ring: %u/150 sent, %u/150 received exact, %u violations\n",
		       tx_ok, rx_ok, m->violations);
		fflush(stdout);
		_exit(tx_ok == 150 && rx_ok == 150 && m->violations == 0 ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "an engine whose descriptors follow its counters (left mid-ring by a bootloader): "
	      "150 frames each way byte-exact");
}

/* In child processes: the genet.rgmii boot argument. */
static void test_rgmii_arg(const char *arg, bool rxid)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gm_init(m);
		gm_cache_reset();
		m->reads = m->writes = 0;
		*(&m->reg[0x008c / 4]) =
		    1u << 16 | 1u << 5; /* left by firmware: ID_MODE_DIS, OOB off */
		rgmii_arg = arg;
		m->misc_reset = 0x0098; /* RX skew off, other bits that must survive */
		m->clk_reset = 0x0201;
		struct netdev *nd = genet_probe(BASE, IRQ);
		uint32_t oob = reg(0x008c);
		bool mac = rxid ? !(oob & (1u << 16)) : (oob & (1u << 16)) != 0;
		bool phy =
		    rxid ? m->aux[7] == 0x0198 && m->shd[3] == 0x0001
			 : m->vendor_writes == 0 && m->aux[7] == 0x0098 && m->shd[3] == 0x0201;
		bool link = nd && genet_link_speed() == 1000 && m->violations == 0;
		printf("# genet.rgmii=%s: OOB %08x, misc %04x, clock %03x, %u vendor writes, link "
		       "%u\n",
		       arg ? arg : "(absent)", oob, m->aux[7], m->shd[3], m->vendor_writes,
		       genet_link_speed());
		fflush(stdout);
		_exit(mac && phy && link && !(oob & (1u << 5)) && (oob & (1u << 6)) ? 0 : 1);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      rxid ? "genet.rgmii=%s: MAC delays TXC (ID_MODE_DIS clear); PHY: RX skew on, GTXCLK "
		     "delay off, other bits kept (Linux's rgmii-rxid)"
		   : "genet.rgmii=%s: ID_MODE_DIS set, the PHY's delays untouched (U-Boot, Circle)",
	      arg ? arg : "absent");
}

static struct netdev *test_probe(void)
{
	gm_init(m);
	gm_cache_reset();
	m->rev = 0x06010000; /* v5.1 */
	struct netdev *nd = genet_probe(BASE, IRQ);
	CHECK(nd != NULL, "probe accepts a GENET v5");
	CHECK(genet_link_speed() == 1000 && m->now_ns < 300000000,
	      "probe returns once auto-negotiation brought the link up (after %llu ms)",
	      (unsigned long long)(m->now_ns / 1000000));
	if (!nd)
		return NULL;
	CHECK(strcmp(nd->name, "genet") == 0 && nd->mtu == 1500 && nd->transmit && nd->receive,
	      "a complete netdev named genet");
	CHECK(memcmp(nd->mac, board_mac, 6) == 0, "netdev MAC is the mailbox's");
	CHECK(reg(0x080c) == 0xdca63212 && reg(0x0810) == 0x3456,
	      "UMAC_MAC0/MAC1 hold dc:a6:32:12:34:56 as 0xdca63212/0x3456 (got %08x/%08x)",
	      reg(0x080c), reg(0x0810));
	CHECK(m->violations == 0, "no ordering violation during bring-up (%s)",
	      m->violations ? m->last_violation : "none");
	uint32_t cmd = reg(0x0808);
	CHECK((cmd & 0x3) == 0x3 && (cmd & (1u << 4)) && !(cmd & (1u << 6)) && !(cmd & (1u << 13)),
	      "UMAC: RX and TX on, promiscuous, FCS stripped, out of reset (CMD %08x)", cmd);
	CHECK(reg(0x0004) == 3, "SYS_PORT_CTRL: external gigabit PHY");
	CHECK((reg(0x0300) & 3) == 3,
	      "RBUF: 64-byte status block and 2-byte alignment pad on, as Linux runs it");
	CHECK(reg(0x3000 + 0x00) == 5 * 3 && reg(0x3000 + 0x2c) == 5 * 3 &&
		  reg(0x5000 + 0x00) == 19 * 3 && reg(0x5000 + 0x2c) == 19 * 3,
	      "rings start at the hardware's counters modulo the ring (0xff85 %% 128 = 5, 0xffd3 "
	      "%% 64 = 19): pointers %u/%u words",
	      reg(0x3000), reg(0x5000));
	CHECK(reg(0x3000 + 0x0c) == 0xff85 && reg(0x5000 + 0x0c) == 0xffd3,
	      "consumer index at the receive producer, producer at the transmit consumer");
	CHECK(reg(0x0814) == 1536, "max frame length 1536");
	uint32_t oob = reg(0x008c);
	CHECK((oob & (1u << 6)) && !(oob & (1u << 5)) && (oob & (1u << 16)),
	      "RGMII mode on, out-of-band on, no MAC TX delay (ID_MODE_DIS, as U-Boot and Circle) "
	      "(OOB %08x)",
	      oob);
	CHECK(m->vendor_writes == 0 && m->aux[7] == 0x0190 && m->shd[3] == 0x0200,
	      "and the PHY's own delays untouched (no write to registers 0x18 or 0x1c)");
	CHECK(reg(0x3000 + 0x1c) == 128 * 3 - 1 && reg(0x3000 + 0x10) == (128u << 16 | 2048),
	      "receive ring: 128 descriptors of 2 KiB");
	CHECK(reg(0x5000 + 0x1c) == 64 * 3 - 1, "transmit ring: 64 descriptors");
	CHECK(reg(0x3040 + 4) == (1u | 1u << 17) && reg(0x5040 + 4) == (1u | 1u << 17),
	      "both DMA engines on, ring 16 enabled");
	bool addrs = true;
	for (unsigned i = 0; i < 128; i++)
		addrs &= reg(0x2000 + i * 12 + 4) != 0 && (reg(0x2000 + i * 12 + 4) % 64) == 0;
	CHECK(addrs, "every receive descriptor has a cache-line aligned buffer");
	CHECK(irq_fn && irq_number == IRQ, "interrupt handler registered on INTID %u", IRQ);
	CHECK(m->phy[4] == 0x01e1 && m->phy[9] == 0x0300 && (m->phy[0] & 0x1000) && m->an_done,
	      "PHY reset, advertises 10/100/1000, auto-negotiation done");
	uint32_t mask = reg(0x0200 + 0x0c);
	CHECK(!(mask & (1u << 13)) && !(mask & (1u << 23)) && (mask & (1u << 16)),
	      "receive and MDIO interrupts unmasked, transmit masked");
	CHECK(genet_probe(BASE, IRQ) == nd, "a second probe returns the same device");
	nd->rx_ready = on_rx_ready;
	return nd;
}

static void test_link(struct netdev *nd)
{
	CHECK(genet_link_speed() == 1000, "link up at 1000 Mbit/s after auto-negotiation");
	CHECK(!nd->link_down, "the stack is told the link is up");
	CHECK(((reg(0x0808) >> 2) & 3) == 2 && !(reg(0x0808) & (1u << 10)),
	      "UMAC speed 1000, full duplex");
	CHECK(reg(0x008c) & (1u << 4), "RGMII link bit set");
	CHECK(m->violations == 0, "no violation while polling the PHY (%s)", m->last_violation);
}

static void test_tx(struct netdev *nd)
{
	static uint8_t f[1514];
	unsigned n = 300, ok = 0, exact = 0;
	m->wire_count = 0;
	uint16_t cons0 = m->tx_cons;
	for (unsigned i = 0; i < n; i++) {
		size_t len = size_for(i);
		make_frame(f, len, i + 1000);
		if (nd->transmit(nd, f, len) == 0)
			ok++;
		if (m->wire_count == 0)
			continue;
		const struct gm_frame *w = &m->wire[m->wire_count - 1];
		size_t want = len < 60 ? 60 : len;
		bool pad0 = true;
		for (size_t k = len; k < want; k++)
			pad0 &= w->data[k] == 0;
		exact += w->len == want && memcmp(w->data, f, len) == 0 && pad0;
	}
	CHECK(ok == n && exact == n,
	      "%u frames of 14..1514 bytes transmitted byte-exact, short ones zero-padded to 60 "
	      "(%u accepted, %u exact)",
	      n, ok, exact);
	CHECK((uint16_t)(m->tx_cons - cons0) == n && cons0 > m->tx_cons,
	      "the transmit ring wrapped %u times and the 16-bit index wrapped", n / 64);
	CHECK(nd->stats.tx_frames == n, "tx_frames counts them");

	/* a stalled engine: the ring fills, then refuses, then drains */
	m->tx_paused = true;
	unsigned taken = 0;
	int r = 0;
	for (unsigned i = 0; i < 70 && r == 0; i++) {
		make_frame(f, 100, i);
		r = nd->transmit(nd, f, 100);
		taken += r == 0;
	}
	CHECK(taken == 64 && r == -EAGAIN, "a full ring takes 64 frames, then -EAGAIN (%u, %d)",
	      taken, r);
	m->tx_paused = false;
	m->wire_count = 0;
	make_frame(f, 100, 7);
	CHECK(nd->transmit(nd, f, 100) == -EAGAIN,
	      "still full until the engine's consumer index moves");
	advance_ms(1);
	CHECK(m->wire_count == 64 && nd->transmit(nd, f, 100) == 0,
	      "the engine drains all 64, and the ring takes frames again");
	CHECK(nd->transmit(nd, f, 1515) == -EMSGSIZE && nd->transmit(nd, f, 13) == -EMSGSIZE,
	      "frames over 1514 or under 14 bytes are refused");
	CHECK(m->violations == 0, "no violation while transmitting (%s)", m->last_violation);
}

static void test_rx(struct netdev *nd)
{
	static uint8_t f[1514], got[1514];
	unsigned sent = 0, exact = 0, stored = 0;
	uint16_t prod0 = m->rx_prod;
	unsigned signals0 = rx_signals;
	/* 400 frames in bursts of 1..97 between reads: the 128-slot ring wraps three times */
	while (sent < 400) {
		unsigned burst = 1 + (sent * 13) % 97, first = sent;
		for (unsigned k = 0; k < burst && sent < 400; k++, sent++) {
			make_frame(f, size_for(sent), sent);
			stored += gm_receive(m, f, size_for(sent)) == 0;
		}
		for (unsigned i = first; i < sent; i++) {
			size_t len = nd->receive(nd, got, sizeof(got));
			make_frame(f, size_for(i), i);
			exact += len == size_for(i) && memcmp(got, f, len) == 0;
		}
	}
	CHECK(stored == 400 && exact == 400,
	      "400 frames of 14..1514 bytes received byte-exact across ring wraps (%u stored, "
	      "%u exact)",
	      stored, exact);
	CHECK(prod0 > m->rx_prod, "the 16-bit producer index wrapped");
	CHECK(nd->receive(nd, got, sizeof(got)) == 0, "receive returns 0 when nothing waits");
	CHECK(rx_signals > signals0 && !gm_irq0(m),
	      "the receive interrupt signals the stack (%u times) and is acknowledged",
	      rx_signals - signals0);
	CHECK(nd->stats.rx_frames == 400 && nd->stats.rx_dropped == 0, "rx_frames counts them");

	/* more than the ring holds: the hardware drops the excess, the driver gets the rest */
	m->rx_missed = 0;
	for (unsigned i = 0; i < 130; i++) {
		make_frame(f, 200, 5000 + i);
		gm_receive(m, f, 200);
	}
	unsigned got_n = 0;
	exact = 0;
	for (size_t len; (len = nd->receive(nd, got, sizeof(got))) != 0; got_n++) {
		make_frame(f, 200, 5000 + got_n);
		exact += len == 200 && memcmp(got, f, 200) == 0;
	}
	CHECK(m->rx_missed == 2 && got_n == 128 && exact == 128,
	      "a full ring: 128 frames kept in order, 2 lost at the MAC");
	CHECK(m->violations == 0, "no violation while receiving (%s)", m->last_violation);
}

static void test_rx_malformed(struct netdev *nd)
{
	static uint8_t f[2048],
	    got[2048]; /* larger than any frame: the driver must judge lengths */
	const uint32_t sop_eop = 3u << 13;
#define L(n) ((uint32_t)((n) + 66) << 16) /* length_status counts the status block and pad */
	static const struct {
		uint32_t ls;
		size_t len;
		const char *what;
	} bad[] = {
	    {L(100) | sop_eop | 0x02, 100, "CRC error"},
	    {L(100) | sop_eop | 0x01, 100, "overrun"},
	    {L(100) | sop_eop | 0x04, 100, "receive error"},
	    {L(100) | sop_eop | 0x08, 100, "non-octet frame"},
	    {L(1536) | sop_eop | 0x10, 1536, "too long (LG)"},
	    {L(100) | (1u << 13), 100, "start without end (a fragment)"},
	    {L(100) | (1u << 14), 100, "end without start"},
	    {0u << 16 | sop_eop, 0, "zero length"},
	    {40u << 16 | sop_eop, 0, "shorter than the status block and pad"},
	    {L(10) | sop_eop, 10, "a 10-byte runt"},
	    {L(1600) | sop_eop, 1600, "1600 bytes, more than 1514"},
	    {4000u << 16 | sop_eop, 2048, "4000 bytes, more than the 2 KiB buffer"},
	    {4095u << 16 | sop_eop, 2048, "the largest length field"},
	};
	size_t nbad = sizeof(bad) / sizeof(bad[0]);
	uint64_t dropped = nd->stats.rx_dropped, frames = nd->stats.rx_frames;
	for (size_t i = 0; i < nbad; i++) {
		make_frame(f, sizeof(f), 900 + (unsigned)i);
		gm_receive_raw(m, f, bad[i].len, bad[i].ls);
	}
	make_frame(f, 300, 77);
	gm_receive(m, f, 300);
	size_t len = nd->receive(nd, got, sizeof(got));
	CHECK(len == 300 && memcmp(got, f, 300) == 0,
	      "after %zu malformed descriptors, the good frame behind them arrives intact", nbad);
	CHECK(nd->stats.rx_dropped == dropped + nbad && nd->stats.rx_frames == frames + 1,
	      "each malformed descriptor dropped and counted (%llu dropped)",
	      (unsigned long long)(nd->stats.rx_dropped - dropped));
	CHECK(nd->receive(nd, got, sizeof(got)) == 0, "and the ring is empty again");

	/* a frame bigger than the caller's buffer is dropped, not truncated or overrun */
	make_frame(f, 500, 78);
	gm_receive(m, f, 500);
	static uint8_t small[100 + 16];
	memset(small, 0x5a, sizeof(small));
	bool guard = true;
	CHECK(nd->receive(nd, small, 100) == 0 && nd->stats.rx_dropped == dropped + nbad + 1,
	      "a frame larger than the caller's buffer is dropped and counted");
	for (size_t i = 0; i < sizeof(small); i++)
		guard &= small[i] == 0x5a;
	CHECK(guard, "and the caller's buffer is untouched");
	CHECK(m->violations == 0, "no violation with malformed descriptors (%s)",
	      m->last_violation);
}

static void test_link_changes(struct netdev *nd)
{
	uint8_t f[100];
	make_frame(f, sizeof(f), 3);
	gm_set_cable(m, false);
	advance_ms(1100);
	CHECK(genet_link_speed() == 0, "cable pulled: link down within a poll period");
	CHECK(nd->link_down, "the stack is told: netdev.link_down");
	CHECK(!(reg(0x008c) & (1u << 4)), "RGMII link bit cleared");
	uint64_t dropped = nd->stats.tx_dropped;
	CHECK(nd->transmit(nd, f, sizeof(f)) == -ENETDOWN && nd->stats.tx_dropped == dropped + 1,
	      "transmit refuses while the link is down, and counts it");

	m->partner_lpa = 0x0101; /* 100 full only */
	m->partner_1000 = 0;
	gm_set_cable(m, true);
	advance_ms(400);
	CHECK(genet_link_speed() == 100 && ((reg(0x0808) >> 2) & 3) == 1 &&
		  !(reg(0x0808) & (1u << 10)),
	      "a 100 Mbit/s full-duplex partner: link up at 100, UMAC speed 100 full");
	m->wire_count = 0;
	CHECK(nd->transmit(nd, f, sizeof(f)) == 0 && m->wire_count == 1 &&
		  memcmp(m->wire[0].data, f, sizeof(f)) == 0,
	      "and frames flow again");

	gm_set_cable(m, false);
	advance_ms(1100);
	m->partner_lpa = 0x0021; /* 10 half only */
	gm_set_cable(m, true);
	advance_ms(400);
	CHECK(genet_link_speed() == 10 && ((reg(0x0808) >> 2) & 3) == 0 &&
		  (reg(0x0808) & (1u << 10)),
	      "a 10 Mbit/s half-duplex partner: UMAC speed 10, half duplex");

	/* a drop shorter than the poll period: BMSR's link bit latches it low for the next read */
	unsigned downs = link_downs;
	advance_ms(100);
	gm_set_cable(m, false);
	gm_set_cable(m, true);
	advance_ms(1500);
	CHECK(link_downs == downs + 1 && genet_link_speed() == 10,
	      "a momentary drop between polls is reported once, then the link returns");
	CHECK(m->violations == 0, "no violation across link changes (%s)", m->last_violation);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof(buf) - 4096, f);
	fclose(f);
	char *copy = malloc(*len + 4096); /* room to grow a property */
	if (copy)
		memcpy(copy, buf, *len);
	return copy;
}

/* The device tree decides whether the platform may touch the device at all. */
static void test_device_tree(const char *dir)
{
	size_t len;
	void *board = read_file(GENET_BOARD_DTB, &len);
	CHECK(board && genet_dt_enabled(board),
	      "the Pi 4's own device tree (bcm2711-rpi-4-b.dtb) enables GENET");
	if (board) {
		fdt_open_into(board, board, (int)len + 4096);
		int node = fdt_node_offset_by_compatible(board, -1, "brcm,bcm2711-genet-v5");
		fdt_setprop_string(board, node, "status", "disabled");
		CHECK(!genet_dt_enabled(board), "a node with status \"disabled\" keeps it off");
		fdt_delprop(board, node, "status");
		CHECK(genet_dt_enabled(board), "a node without status counts as enabled");
		free(board);
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/raspi4b.dtb", dir);
	void *qemu = read_file(path, &len);
	CHECK(qemu && fdt_check_header(qemu) == 0 && !genet_dt_enabled(qemu),
	      "the tree QEMU's raspi4b hands over has no GENET (%s)", path);
	free(qemu);
	CHECK(!genet_dt_enabled(NULL), "no device tree: no GENET");
}

/* Link resolution from the clause 22/40 registers, on its own. */
static void test_phy_resolve(void)
{
	static const struct {
		uint16_t bmsr, lpa, stat1000;
		bool up, full;
		unsigned speed;
		const char *what;
	} cases[] = {
	    {0x796d, 0x45e1, 0x0c00, true, true, 1000, "both gigabit: 1000 full"},
	    {0x796d, 0x45e1, 0x0400, true, false, 1000,
	     "partner 1000 half only (plus 100): 1000 half"},
	    {0x796d, 0x41e1, 0x0000, true, true, 100, "no gigabit partner: 100 full"},
	    {0x796d, 0x4081, 0x0000, true, false, 100, "partner 100 half and 10 half: 100 half"},
	    {0x796d, 0x4061, 0x0000, true, true, 10, "partner 10 only: 10 full"},
	    {0x796d, 0x4021, 0x0000, true, false, 10, "partner 10 half only: 10 half"},
	    {0x796d, 0x4001, 0x0000, false, false, 0, "nothing in common: down"},
	    {0x7969, 0x45e1, 0x0c00, false, false, 0, "link bit low: down"},
	    {0x794d, 0x45e1, 0x0c00, false, false, 0, "auto-negotiation incomplete: down"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct phy_link l =
		    phy_resolve(cases[i].bmsr, 0x01e1, cases[i].lpa, 0x0300, cases[i].stat1000);
		CHECK(l.up == cases[i].up && l.full_duplex == cases[i].full &&
			  l.speed == (cases[i].up ? cases[i].speed : l.speed),
		      "phy_resolve: %s", cases[i].what);
	}
	struct phy_link l = phy_resolve(0x796d, 0x01e1 & ~0x0100, 0x45e1, 0x0000, 0x0c00);
	CHECK(l.up && l.speed == 100 && !l.full_duplex,
	      "only what we advertise counts (no gigabit, no 100 full advertised: 100 half)");
}

int main(int argc, char **argv)
{
	test_phy_resolve();
	test_device_tree(argc > 1 ? argv[1] : ".");
	test_model_catches_mistakes();
	test_refusals();
	test_probe_without_cable();
	test_probe_without_phy();
	test_link_without_mdio_irq();
	test_rings_follow_counters();
	test_rgmii_arg(NULL, false);
	test_rgmii_arg("phy", false);
	test_rgmii_arg("rxid", true);
	test_rgmii_arg("bogus", false);
	struct netdev *nd = test_probe();
	if (nd) {
		test_link(nd);
		test_tx(nd);
		test_rx(nd);
		test_rx_malformed(nd);
		test_link_changes(nd);
	}
	gm_cache_reset();
	return TAP_DONE();
}
