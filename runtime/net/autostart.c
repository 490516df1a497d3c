/*
 * uk's network bring-up policy: the network comes up before main whenever a net.* boot
 * argument is given (net.ip=dhcp, or the manifest's net: section), so plain POSIX socket code
 * needs no uk call at all. net.wait=SECONDS (default 10) bounds the wait for an address.
 */
#include <stdbool.h>
#include <string.h>

#include <uk/config.h>
#include <uk/net.h>

#include "kernel.h"

/*
 * Called before main through kernel/boot.c's weak reference. An app that links lwIP links this
 * file too: lwip_port/sys_arch.c, which lwIP always needs, holds a link-time reference to it.
 */
void uk_net_autostart(void)
{
	bool wanted = false;
	for (size_t i = 0; i < uk_config_count(); i++)
		wanted |= strncmp(uk_config_key(i), "net.", 4) == 0;
	if (!wanted)
		return;
	int r = uk_net_start();
	if (r != 0) {
		kprintf("net: cannot start the network: %s\n", strerror(-r));
		return;
	}
	long wait = uk_config_int("net.wait", 10);
	if (uk_net_wait_up((uint64_t)(wait > 0 ? wait : 0) * 1000000000u) != 0)
		kprintf("net: no IPv4 address after %ld s; going on without one\n", wait);
}
