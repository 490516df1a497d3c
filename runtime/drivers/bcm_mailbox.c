/*
 * The VideoCore mailbox property interface (channel 8), as documented in the Raspberry Pi
 * firmware wiki "Mailbox property interface": ask the firmware for memory size and clocks.
 *
 * Two one-way FIFOs (firmware wiki "Mailboxes"): the VideoCore answers the ARM in mailbox 0
 * (read 0x00, status 0x18) and the ARM writes to the VideoCore in mailbox 1 (write 0x20, status
 * 0x38). Each has its own status register: waiting for room before a write means polling
 * mailbox 1's, as Linux's bcm2835-mailbox (MAIL1_STA) and Circle (MAILBOX1_STATUS) do. Mailbox
 * 0's "full" only says that answers wait for the ARM; polling it would write into a full FIFO
 * (the message is lost) or wait forever on answers nobody reads.
 */
#include "dcache.h"
#include "drivers.h"
#include "sysreg.h"

#define MBOX0_READ	 0x00 /* VideoCore -> ARM */
#define MBOX0_STATUS	 0x18
#define MBOX1_WRITE	 0x20 /* ARM -> VideoCore */
#define MBOX1_STATUS	 0x38
#define STATUS_FULL	 (1u << 31)
#define STATUS_EMPTY	 (1u << 30)
#define CHANNEL_PROPERTY 8
#define REQUEST_OK	 0x80000000u
#define BUS_ALIAS	 0xc0000000u /* VideoCore address of ARM RAM, L2-uncached alias */

static uintptr_t mbox;
static volatile uint32_t msg[36] __attribute__((aligned(64)));

void bcm_mailbox_init(uintptr_t base)
{
	mbox = base;
}

/* Not reentrant; not from an interrupt handler. Returns 0, or -1 if the firmware said no. */
static int mbox_call(void)
{
	uint32_t addr = (uint32_t)(uintptr_t)msg | BUS_ALIAS;
	/* The message is in cacheable RAM once the MMU is on: clean it before the VideoCore reads
	 * it and invalidate it before we read its answer. */
	dcache_inval_range((const void *)msg, sizeof(msg));
	while (mmio_read32(mbox + MBOX1_STATUS) & STATUS_FULL)
		;
	mmio_write32(mbox + MBOX1_WRITE, (addr & ~0xfu) | CHANNEL_PROPERTY);
	for (;;) { /* answers on other channels are not ours: drop them */
		while (mmio_read32(mbox + MBOX0_STATUS) & STATUS_EMPTY)
			;
		uint32_t r = mmio_read32(mbox + MBOX0_READ);
		if ((r & 0xf) == CHANNEL_PROPERTY && (r & ~0xfu) == (addr & ~0xfu))
			break;
	}
	dcache_inval_range((const void *)msg, sizeof(msg));
	return msg[1] == REQUEST_OK ? 0 : -1;
}

/* One tag with up to 2 request words and 2 answer words. */
static int mbox_tag(uint32_t tag, uint32_t in0, uint32_t in1, uint32_t *out0, uint32_t *out1)
{
	if (!mbox)
		return -1;
	msg[0] = 8 * 4; /* total size */
	msg[1] = 0;	/* request */
	msg[2] = tag;
	msg[3] = 8; /* value buffer size */
	msg[4] = 0;
	msg[5] = in0;
	msg[6] = in1;
	msg[7] = 0; /* end tag */
	if (mbox_call() != 0 || !(msg[4] & REQUEST_OK))
		return -1;
	if (out0)
		*out0 = msg[5];
	if (out1)
		*out1 = msg[6];
	return 0;
}

uint64_t bcm_mailbox_arm_memory(void)
{
	uint32_t base, size;
	if (mbox_tag(0x00010005, 0, 0, &base, &size) != 0)
		return 0;
	return size;
}

uint32_t bcm_mailbox_clock_rate(uint32_t clock_id)
{
	uint32_t id, rate;
	if (mbox_tag(0x00030002, clock_id, 0, &id, &rate) != 0)
		return 0;
	return rate;
}

/* The board's Ethernet MAC address (tag 0x00010003, "Get board MAC address"): the address the
 * firmware derives from the board's serial number, for the Ethernet chips that have no EEPROM of
 * their own (LAN9514, LAN7800, GENET). Returns 0, or -1 if the firmware did not answer. */
int bcm_mailbox_board_mac(uint8_t mac[6])
{
	uint32_t lo, hi;
	if (mbox_tag(0x00010003, 0, 0, &lo, &hi) != 0)
		return -1;
	/* Six bytes in order, packed into the value buffer's first two words (little-endian). */
	for (int i = 0; i < 4; i++)
		mac[i] = (uint8_t)(lo >> (8 * i));
	mac[4] = (uint8_t)hi;
	mac[5] = (uint8_t)(hi >> 8);
	return 0;
}

/* Switches a device the firmware powers on or off (tag 0x00028001, "Set power state"); with
 * BCM_POWER_WAIT the firmware answers once the power is stable. *state gets the answer's state
 * word (BCM_POWER_ON, BCM_POWER_NO_DEVICE). Returns 0, or -1 when the firmware did not answer. */
int bcm_mailbox_set_power(uint32_t device, uint32_t request, uint32_t *state)
{
	uint32_t id;
	if (mbox_tag(0x00028001, device, request, &id, state) != 0 || id != device)
		return -1;
	return 0;
}

/* The board's serial number (tag 0x00010004, "Get board serial": two words, low first). */
int bcm_mailbox_board_serial(uint64_t *serial)
{
	uint32_t lo, hi;
	if (mbox_tag(0x00010004, 0, 0, &lo, &hi) != 0)
		return -1;
	*serial = (uint64_t)hi << 32 | lo;
	return 0;
}

/* The board revision code (tag 0x00010002, "Get board revision"), decoded as in Raspberry Pi's
 * "Raspberry Pi revision codes" (type, memory size, maker in its bit fields). */
int bcm_mailbox_board_revision(uint32_t *revision)
{
	return mbox_tag(0x00010002, 0, 0, revision, NULL) != 0 ? -1 : 0;
}

/* The SoC's temperature in thousandths of a degree Celsius (tag 0x00030006, "Get temperature",
 * id 0: the only sensor); the answer repeats the id, then the value. */
int bcm_mailbox_temperature(int32_t *millicelsius)
{
	uint32_t id, value;
	if (mbox_tag(0x00030006, 0, 0, &id, &value) != 0 || id != 0)
		return -1;
	*millicelsius = (int32_t)value;
	return 0;
}

/* Asks the firmware to boot its tryboot choice on the next reset, once (tag 0x00038064, "set
 * reboot flags", bit 0 tryboot; Linux's raspberrypi-firmware.h names it SET_REBOOT_FLAGS and
 * sends it for `reboot "0 tryboot"`). The Pi 4's bootloader reads it; a Pi 3's does not. */
int bcm_mailbox_set_tryboot(void)
{
	return mbox_tag(0x00038064, 1, 0, NULL, NULL) != 0 ? -1 : 0;
}
