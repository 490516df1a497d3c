/* Test app: starts the board's network device, which on rpi3 enumerates the USB bus (the stack
 * prints each device, the hub's ports and the CDC Ethernet MAC on the console), and says what
 * it found. Uses the runtime's netdev_probe directly: no uk header covers USB. */
#include <stdio.h>

struct netdev;
struct netdev *netdev_probe(void);

int main(void)
{
	struct netdev *nd = netdev_probe();
	printf("usb-test: network device %s\n", nd ? "found" : "not found");
	return nd ? 0 : 1;
}
