/*
 * SNTP (lwIP's apps/sntp, RFC 4330) sets the wall clock (kernel/walltime.c). Servers: the boot
 * argument net.ntp=SERVER[,SERVER] (names or addresses; uk.yaml's network: ntp), else those a
 * DHCP server offers (option 42); net.ntp=off keeps SNTP off. It starts once the interface has
 * an IPv4 address, asks every SNTP_UPDATE_DELAY after the first answer, and accepts an answer
 * only when it echoes the request's timestamp (SNTP_CHECK_RESPONSE 2), corrected for the round
 * trip (SNTP_COMP_ROUNDTRIP). Runs in lwIP's thread, under its core lock.
 */
#include <string.h>

#include <lwip/apps/sntp.h>

#include <uk/config.h>
#include <uk/time.h>

#include "kernel.h"
#include "netglue.h"

#define MAX_NAME 64

static char names[SNTP_MAX_SERVERS][MAX_NAME];
static bool configured, started;

/* lwIP's SNTP_SET_SYSTEM_TIME_US: seconds since 1970 (UTC) and microseconds. */
void uk_sntp_set_time(unsigned int sec, unsigned int us)
{
	bool first = !uk_walltime_known() || uk_walltime_source() != UK_WALLTIME_SNTP;
	walltime_set((uint64_t)sec * 1000000000ull + (uint64_t)us * 1000u, UK_WALLTIME_SNTP);
	if (first)
		kprintf("net: time set by SNTP: %lu s since 1970\n", (unsigned long)sec);
}

/* lwIP's SNTP_GET_SYSTEM_TIME: the request's timestamp, echoed back by the server. */
void uk_sntp_get_time(unsigned int *sec, unsigned int *us)
{
	uint64_t ns = walltime_now_ns();
	*sec = (uint32_t)(ns / 1000000000ull);
	*us = (uint32_t)(ns % 1000000000ull / 1000u);
}

/* Before DHCP starts (its answer may carry servers): names from net.ntp, else DHCP's.
 * Core lock held. */
void net_sntp_configure(bool dhcp)
{
	const char *list = uk_config_get("net.ntp");
	if (list && !strcmp(list, "off"))
		return;
	unsigned n = 0;
	for (const char *p = list; p && *p && n < SNTP_MAX_SERVERS;) {
		size_t len = strcspn(p, ",");
		if (len > 0 && len < MAX_NAME) {
			memcpy(names[n], p, len);
			names[n][len] = 0;
			sntp_setservername((u8_t)n, names[n]);
			n++;
		} else if (len) {
			kprintf("net: net.ntp: a server name longer than %d characters, ignored\n",
				MAX_NAME - 1);
		}
		p += len + (p[len] == ',');
	}
	if (n == 0 && dhcp)
		sntp_servermode_dhcp(1); /* option 42 of the lease */
	configured = n > 0 || dhcp;
}

/* Once the interface has an IPv4 address (stack.c's status callback). Core lock held. */
void net_sntp_start(void)
{
	if (!configured || started)
		return;
	sntp_setoperatingmode(SNTP_OPMODE_POLL);
	sntp_init();
	started = true;
}
