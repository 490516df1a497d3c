/* cli/manifest/manifest.c's manifest_load (and cli/manifest/yamlload.c under it) on any uk.yaml:
 * the input is written as DIR/uk.yaml of a temporary app directory holding nothing else, so a
 * source list can never match, and the whole of validation runs on every input. */
#include <stdint.h>

#include "fuzz_util.h"
#include "uk.h"

static void manifest_free(struct manifest *m)
{
	free(m->path), free(m->dir), free(m->name), free(m->version), free(m->memory);
	free(m->hostfwd), free(m->update_key);
	sl_free(&m->targets), sl_free(&m->sources), sl_free(&m->include), sl_free(&m->cflags);
	sl_free(&m->defines), sl_free(&m->libs), sl_free(&m->config_txt), sl_free(&m->files);
	bootargs_free(&m->bootargs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	fuzz_tmpfile("uk.yaml");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_write(data, size) < 0)
		return 0;
	struct manifest m;
	int rc = manifest_load(fuzz_dir, &m);
	if (rc != 0 && rc != EXIT_USAGE)
		abort(); /* manifest_load promises 0 or EXIT_USAGE */
	manifest_free(&m);
	return 0;
}
