/* A tiny TAP producer for host unit tests: CHECK(cond, name) prints "ok N - name" or "not ok". */
#ifndef UK_TEST_TAP_H
#define UK_TEST_TAP_H
#include <stdio.h>

static int tap_n, tap_failed;
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		int ok_ = (cond);                                                                  \
		printf("%s %d - ", ok_ ? "ok" : "not ok", ++tap_n);                                \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!ok_) {                                                                        \
			tap_failed++;                                                              \
			printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
		}                                                                                  \
	} while (0)
#define TAP_DONE() (printf("1..%d\n", tap_n), tap_failed != 0)
#endif
