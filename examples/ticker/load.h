/* ticker.iperf: an iperf 2 server on core 0 as the network load (load.c). */
#ifndef TICKER_LOAD_H
#define TICKER_LOAD_H

#include <stdint.h>

/* Brings the network up, starts lwIP's iperf server on port 5001 and returns once a client's
 * traffic arrives (0), or -1 (no network, no address, no traffic within a minute). */
int load_iperf_start(void);
uint64_t load_frames(void); /* frames the network device received so far */

#endif
