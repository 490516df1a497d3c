/* yamlload.h: uk.yaml and fleet inventories are loaded through yaml_load_checked (yamlload.c). */
#ifndef UK_YAMLLOAD_H
#define UK_YAMLLOAD_H

#include <stddef.h>
#include <yaml.h>

#define YAML_MAX_BYTES (4 << 20) /* a manifest or an inventory of thousands of devices */
#define YAML_MAX_DEPTH 64	 /* uk's own files nest 4 levels */

/* Called once per problem, with its 1-based line and column. */
typedef void (*yaml_report)(void *ctx, int line, int col, const char *msg);

/* NUL bytes and invalid UTF-8, reported at their line and column: 0, or -1 after a report. */
int input_check_bytes(const char *text, size_t len, yaml_report rep, void *ctx);

/* Checks the text (size, NUL bytes, UTF-8, nesting), loads it into doc and reports every key
 * repeated in a mapping. 0: doc is loaded (delete it; repeated keys were reported), -1: not. */
int yaml_load_checked(const char *text, size_t len, yaml_document_t *doc, yaml_report rep,
		      void *ctx);

#endif
