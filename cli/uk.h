/* uk: shared declarations of the uk command. */
#ifndef UK_H
#define UK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define UK_VERSION "0.1.0"

/* Exit codes, documented in docs/cli.md. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	    /* build failed (compiler, linker, tool) or app failed */
	EXIT_USAGE = 2,	    /* bad command line or bad uk.yaml: nothing written */
	EXIT_ENV = 3,	    /* missing runtime, firmware or host tool: see uk doctor */
	EXIT_TIMEOUT = 124, /* uk run --timeout expired, QEMU stopped */
	EXIT_INTR = 130,    /* interrupted (Ctrl-C), QEMU stopped */
};

/* ---- util.c ---- */
struct strlist {
	char **v;
	size_t n, cap;
};
void sl_push(struct strlist *l, const char *s);
void sl_pushf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sl_append(struct strlist *l, const struct strlist *from);
void sl_free(struct strlist *l);
void sl_sort(struct strlist *l);
int sl_has(const struct strlist *l, const char *s);
int split_words(const char *s, struct strlist *out); /* shell-like word split, no expansion */
char *sl_join(const struct strlist *l, const char *sep);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *path_join(const char *a, const char *b);
char *abs_path(const char *p); /* absolute, normalised; the path need not exist */

extern int use_color; /* set in main: stderr is a tty and NO_COLOR unset */
extern int json_mode; /* --json: errors are also reported on stdout as JSON */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* FILE:LINE:COL: error: ... (uk.yaml's and a fleet inventory's mistakes, 1-based) */
void verror_at(const char *file, int line, int column, const char *fmt, va_list ap);
/* Non-empty, and only letters, digits and the characters in EXTRA. */
int ident_ok(const char *s, const char *extra);
extern int use_color_out;	       /* the same for stdout */
const char *col(const char *code);     /* ANSI code for stderr, or "" */
const char *col_out(const char *code); /* ANSI code for stdout, or "" */

int read_file(const char *path, char **data, size_t *len);
int write_file(const char *path, const void *data, size_t len);
int file_exists(const char *path);
int is_dir(const char *path);
int mkdir_p(const char *path);
int rm_rf(const char *path);
int copy_file(const char *from, const char *to);
int link_or_copy(const char *from, const char *to);
int64_t mtime_ns(const char *path); /* -1 if missing */
int dir_writable(const char *path);

/* ---- sha256.c: libcrypto's SHA-256 (every init is matched by a final, which frees it) ---- */
struct sha256 {
	struct evp_md_ctx_st *ctx; /* OpenSSL's EVP_MD_CTX */
};
void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[32]);
void sha256_hex(const unsigned char d[32], char out[65]);
/* sha256_final, as a newly allocated hex string */
char *sha256_final_hex(struct sha256 *c);
/* The digest of n bytes, in hex */
void sha256_data_hex(const void *data, size_t n, char hex[65]);
int sha256_file(const char *path, char hex[65], uint64_t *size);

/* ---- json.c: --json output and build.json, value by value, encoded by jansson ---- */
struct json {
	FILE *f;
	int pretty;
	int depth;
	struct json_t *stack[32]; /* the open objects and arrays (jansson's) */
	char *key;		  /* the key the next value goes under */
};
void json_begin(struct json *j, FILE *f, int pretty);
void json_obj(struct json *j);
void json_arr(struct json *j);
void json_end_obj(struct json *j);
void json_end_arr(struct json *j);
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
void json_int(struct json *j, long long v);
void json_bool(struct json *j, int v);
void json_raw(struct json *j, const char *text);
void json_kstr(struct json *j, const char *k, const char *s);
void json_kint(struct json *j, const char *k, long long v);
void json_kbool(struct json *j, const char *k, int v);
void json_error(int code, const char *msg); /* {"ok":false,...} on stdout in --json mode */

/* ---- spawn.c: fork/exec, never a shell ---- */
struct spawn_opts {
	const char *cwd;      /* chdir here first (NULL: stay) */
	const char *out_path; /* stdout to this file (NULL: inherit) */
	int out_fd;	      /* stdout to this fd if >= 0 (out_path unset) */
	int quiet_err;	      /* stderr to /dev/null */
	char **env;	      /* extra NAME=VALUE entries (NULL-terminated) */
	int keep_stdin;	      /* inherit stdin (else /dev/null: no tool may ask) */
};
/* uk's SIGINT/SIGTERM handlers call request_stop(): every child being waited for is sent
 * SIGTERM, then SIGKILL two seconds later. */
void request_stop(int sig);
pid_t spawn(char *const argv[], const struct spawn_opts *o);
int wait_status(pid_t pid); /* exit code, or 128+signal */
int run(char *const argv[], const struct spawn_opts *o);
/* Runs argv and returns its stdout (trimmed) or NULL; status in *status if non-NULL. */
char *run_capture(char *const argv[], int *status);
int have_program(const char *name);
char *find_program(const char *name);
void print_cmd(const struct strlist *argv);
extern int verbose;
extern int tool_missing; /* set when a program to run is not installed */

/* ---- options.c: one parser for every subcommand ---- */
enum opt_type { OPT_END, OPT_BOOL, OPT_STRING, OPT_INT, OPT_LIST, OPT_OPTINT };
struct option {
	enum opt_type type;
	char short_name;
	const char *long_name;
	void *value;	  /* int*, const char**, struct strlist* */
	const char *arg;  /* what --help shows after --NAME: " T", "=MODE", "[=PORT]"; NULL: none */
	const char *help; /* --help's description; each '\n' starts another line */
};
/* Parses argv[1..]; positional arguments go to *rest. Exits 2 on bad usage, 0 after --help.
 * The option table is the source of the usage's option list: --help and a usage error print
 * usage with opts' lines inserted after its "Options:\n" line. */
void parse_options(int argc, char **argv, const struct option *opts, const char *usage,
		   struct strlist *rest);
void usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- conf.c: target.conf and images/<board>/layout.conf ---- */
struct conf {
	struct strlist keys, vals;
	char *path;
};
int conf_read(const char *path, struct conf *c, const char *uk_home, const char *uk_cache);
const char *conf_get(const struct conf *c, const char *key); /* NULL if absent */
void conf_free(struct conf *c);

/* ---- home.c ---- */
const char *uk_home(void);
const char *uk_cache(void);
extern const char *argv0;
int valid_target(const char *t);
extern const char *const uk_targets[]; /* NULL-terminated: virt, rpi3, rpi4 */

/* ---- bootargs.c: boot arguments, checked by the runtime's rules (runtime/kernel/bootargs.c);
 * the limits are the runtime's (runtime/kernel/kernel.h; tests/unit/test_bootargs.c holds them
 * equal) ---- */
#define BOOTARGS_MAX	  128
#define BOOTARG_KEY_MAX	  63
#define BOOTARG_VALUE_MAX 255
#define BOOTARGS_LEN_MAX  4096
struct bootargs {
	struct strlist keys, values; /* in order; a key once (setting it again replaces it) */
};
void bootargs_set(struct bootargs *b, const char *key, const char *value);
const char *bootargs_get(const struct bootargs *b, const char *key); /* NULL if unset */
int bootargs_has_prefix(const struct bootargs *b, const char *prefix);
void bootargs_merge(struct bootargs *to, const struct bootargs *from); /* from wins */
void bootargs_free(struct bootargs *b);
const char *bootarg_key_problem(const char *key); /* NULL, or what is wrong */
const char *bootarg_value_problem(const char *value);
/* NULL, or (allocated) the first argument the runtime would drop, or what is over its limits */
char *bootargs_problem(const struct bootargs *b);
/* One line as cmdline.txt and -append want it: KEY=VALUE, quoted when VALUE holds a space. */
char *bootargs_format(const struct bootargs *b);
/* Adds KEY=VALUE (or KEY="VALUE") after every check (net.* too): 0, or -1 with *why. */
int bootarg_split(const char *kv, struct bootargs *b, const char **why);

/* ---- netconf.c: network settings ---- */
/* NULL when VALUE suits the net.* boot argument KEY (any other key: NULL), else what is wrong. */
const char *net_arg_problem(const char *key, const char *value);
/* A port forward [tcp:|udp:]HOSTPORT:GUESTPORT (no prefix: tcp), ports 1-65535. */
struct hostfwd {
	char proto[4];
	unsigned host, guest;
};
int hostfwd_parse(const char *spec, struct hostfwd *f, const char **why); /* 0 or -1, *why */
/* Can a and b not both be forwarded? NULL, or msg filled with why not. */
const char *hostfwd_clash(const struct hostfwd *a, const struct hostfwd *b, char *msg, size_t n);
extern const char hostfwd_udp_note[]; /* why a guest UDP port is forwarded once */

/* ---- manifest.c ---- */
struct manifest {
	char *path; /* as given, for messages */
	char *dir;  /* absolute directory of the app */
	char *name;
	char *version; /* version:, or NULL; carried by signed update bundles */
	struct strlist targets, sources, include, cflags, defines, libs, config_txt;
	struct bootargs bootargs; /* bootargs: and network:'s net.*, checked */
	char *memory;		  /* QEMU -m, e.g. 256M */
	int cores;		  /* cores: 1-4, QEMU virt's -smp; 0: not set (1) */
	uint64_t image_size;	  /* bytes; 0: board default */
	uint64_t data_size;	  /* image.data: the /data partition after it; 0: none */
	uint64_t slot_size;	  /* update: slots: ab, each slot's size; 0: no slots */
	char *update_key;	  /* update.key: the public key's absolute path, or NULL */
	int has_network;	  /* a network: section */
	struct hostfwd *hostfwd;  /* network.hostfwd, no two clashing */
	size_t n_hostfwd;
	struct strlist files; /* sources expanded, sorted, relative to dir */
	int source_line[64], source_col[64];
};
/* Loads and validates DIR/uk.yaml. Prints every problem as file:line:col; returns 0 or EXIT_USAGE.
 */
int manifest_load(const char *dir, struct manifest *m);
int parse_size(const char *s, uint64_t *out); /* 64M, 1G, 4096K, bytes */

/* ---- bundle.c: signed update bundles (docs/update.md) ---- */
/* BOOT_DIR's files behind a header signed with the EC P-256 key KEY_PATH, to OUT_PATH (written
 * aside and renamed). 0, EXIT_USAGE (no version, a bad key) or EXIT_FAIL. */
int bundle_write(const char *out_path, const char *boot_dir, const struct manifest *m,
		 const char *target, const char *key_path);

/* ---- update_key.c: uk.yaml's update.key ---- */
#define UPDATE_KEY_HOWTO "openssl ec -in signing.pem -pubout -out update.pub.pem"
/* NULL when PATH is a PEM ECDSA P-256 public key, else (allocated) what is wrong. */
char *update_key_problem(const char *path);
/* 1 when the private key in priv_path is the other half of pub_path, 0 when not, -1 when
 * either cannot be read (bundle_write says why). */
int update_key_matches(const char *pub_path, const char *priv_path);

/* ---- firmware.c ---- */
/* Extracts the named files from ./usr/lib/raspi-firmware/ of the raspi-firmware .deb. */
int firmware_extract(const char *deb, const struct strlist *names, const char *dest_dir);
char *firmware_deb(void); /* newest $UK_CACHE/debs/raspi-firmware_*.deb or NULL */

/* ---- fatname.c: names on the FAT boot partition ---- */
int fat_name_ok(const char *name, const char **why); /* 0 with *why when not */
int fat_names_clash(const char *a, const char *b);   /* one file on FAT (case, trailing dots) */

/* ---- bootfs.c ---- */
struct bootfs {
	uint64_t size; /* bytes */
	uint32_t volume_id;
	const char *label;
	uint32_t hidden_sectors; /* the partition's first LBA */
	int64_t epoch;		 /* file times */
	int fat_bits;		 /* 16 or 32; 0: 32 */
};
/* Writes a FAT32 (or FAT16) image at path holding the files (by their base names), sorted. */
int bootfs_write_files(const char *path, const struct strlist *files, const struct bootfs *b);
/* The same for every file of src_dir (flat). */
int bootfs_write(const char *path, const char *src_dir, const struct bootfs *b);

/* ---- mbr.c ---- */
#define MBR_SECTOR 512
struct mbr_part {
	uint8_t boot, type;
	uint32_t lba, sectors;
};
/* Writes a DOS partition table with n (1-4) primary partitions to the image or disk open as
 * fd (named path in messages): 0, or -1 with a message. */
int mbr_write(int fd, const char *path, uint32_t disk_sig, const struct mbr_part *p, int n);
/* The four primary entries of the DOS partition table of the image open as fd, named path (an
 * unused one has type 0): 0, or -1 when it has none. */
int mbr_read(int fd, const char *path, uint32_t *disk_sig, struct mbr_part p[4]);
/* Copies the data extents of the (sparse) file in (size bytes) to out at offset, skipping
 * zero blocks (they stay holes in a freshly truncated out): 0, or -1 with errno set. One caller
 * at a time (a static buffer). */
int copy_extents(int in, off_t size, int out, uint64_t offset);
/* One partition of a card image: its bytes come from image (NULL: none, left as zeros). */
struct sd_part {
	const char *image;
	const char *role; /* build.json's name for it: boot, autoboot, slot-a, slot-b, data */
	uint8_t type, boot;
	uint64_t offset, size; /* bytes, whole sectors */
};
/* Writes an image of total bytes: the MBR with the n (1 to 4) partitions, in order, then each
 * partition's image at its offset; zero blocks stay holes (fast, small). Every partition and
 * image is checked to fit before the file is created. */
int sdimage_write(const char *path, uint64_t total, const struct sd_part *p, int n,
		  uint32_t disk_sig);

/* ---- slots.c: where a card's partitions lie; the A/B card's autoboot and slot B ---- */
#define AUTOBOOT_SIZE	     (8ull << 20)
#define SLOTS_AUTOBOOT_IMAGE "autoboot.vfat" /* beside boot.vfat in a build's output */
#define SLOTS_B_IMAGE	     "slot-b.vfat"
const char *part_role(const char *s); /* the canonical role string, or NULL */
/* Fills p (no images) for a card with the boot partition of boot_size at offset, or with
 * slot_size (not 0): autoboot, slot A and slot B from offset; then /data when data_size is not
 * 0. Returns the number of partitions, the card's size in *total. */
int card_layout(struct sd_part p[4], uint64_t offset, uint64_t boot_size, uint64_t slot_size,
		uint64_t data_size, uint64_t *total);
int card_find(const struct sd_part *p, int n, const char *role); /* index or -1 */
/* Writes DIR/autoboot.vfat (autoboot.txt and uk-update.txt) and DIR/slot-b.vfat (empty). */
int slots_write(const char *dir, const struct sd_part *autoboot, const struct sd_part *slot_b,
		uint32_t vol_autoboot, uint32_t vol_b, int64_t epoch);
/* The Pi 3's firmware has no tryboot: its slots are the directories a/ and b/ of one boot
 * partition (role boot) of SLOTS_DIRS_ROOT_SIZE + 2 x slot_size, chosen by config.txt's
 * os_prefix (include slot.txt). 1 for such a target. */
int slots_in_dirs(const char *target);
#define SLOTS_DIRS_ROOT_SIZE (16ull << 20) /* the firmware, config.txt, slot.txt, uk-update.txt */
#define SLOTS_DIR_A	     "a"
/* Turns the flat boot directory into the partition's tree: every file but config.txt and the
 * root_names (the firmware) into a/, an empty b/, slot.txt and uk-update.txt, and config.txt's
 * include of slot.txt. */
int slots_dirs_arrange(const char *boot_dir, const struct strlist *root_names);
/* The regular files of dir (full paths, sorted by name): the root's or a/'s of such a tree. */
void slots_dirs_list(const char *dir, struct strlist *out);
/* Writes the FAT32 partition image path: root files at its root, a_files in a/, an empty b/. */
int slots_dirs_write(const char *path, const struct strlist *root, const struct strlist *a_files,
		     const struct bootfs *b);

/* ---- build_record.c: what an earlier build wrote (build.json, read with jansson) ---- */
struct build_record {
	char *name, *target, *uk;
	int64_t source_date_epoch;
	uint64_t image_size, partition_offset; /* sdcard.img and where its partition starts */
	uint32_t disk_signature, volume_id;
	uint64_t data_offset, data_size; /* the /data partition in sdcard.img; 0: none */
	struct sd_part parts[4];	 /* the MBR's partitions (roles; no images) */
	int nparts;
	char sdcard_sha256[65];
};
/* Reads DIR/build.json: 0, -1 missing, -2 not uk's; *why (if non-NULL) says why on failure. */
int build_record_read(const char *dir, struct build_record *r, char **why);
void build_record_free(struct build_record *r);
extern const char build_marker_name[]; /* ".uk-output" */
int build_marker_write(const char *dir);
/* 0 when DIR may be replaced as a whole: empty, or uk's marker, a build record that parses
 * as uk's and nothing uk does not write. Else -1 with *why (allocated). */
int build_output_check(const char *dir, char **why);

/* ---- build (build.c), used by run ---- */
struct build_result {
	char *out; /* absolute out dir */
	char *elf, *kernel;
	int up_to_date;
};
int build_target(struct manifest *m, const char *target, const char *out_dir,
		 struct build_result *r);
char *default_out(const struct manifest *m, const char *target, const char *out_opt, int multi);

/* ---- data_image.c: the /data partition, a littlefs image seeded from a folder ---- */
int data_image_write(const char *path, uint64_t size, const char *seed_dir);
/* A littlefs on a file: the partition starts offset bytes into fd. */
struct data_dev {
	int fd;
	uint64_t offset;
	int durable; /* fdatasync at each littlefs sync (uk data put; not while making an image) */
	int error;   /* errno of the last failed read, write or sync */
};
struct lfs2;
struct lfs2_config;
/* cfg for the size-byte partition on dev in block_size blocks, with the runtime's geometry. */
void data_lfs_config(struct lfs2_config *cfg, struct data_dev *dev, uint32_t block_size,
		     uint64_t size);
/* Mounts it as the runtime does: UK_LFS_BLOCK_SIZE, then UK_LFS_OLD_BLOCK_SIZE; 0, or the
 * first littlefs error. */
int data_lfs_mount(struct lfs2 *lfs, struct lfs2_config *cfg, struct data_dev *dev, uint64_t size);
/* When the app has /data: a digest line per file and folder of its data/ folder, which seeds
 * /data (names, sizes, times), for up-to-date checks. */
void data_seed_stamp(struct sha256 *h, const struct manifest *m);

/* ---- run_card.c: the card uk run attaches (a working copy of sdcard.img) ---- */
int run_card(const char *target, const char *out_dir, int fresh, struct strlist *qemu_args);

/* ---- subcommands ---- */
int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_data(int argc, char **argv);
extern const char usage_build[], usage_run[], usage_new[], usage_doctor[], usage_version[],
    usage_help[], usage_data[];

struct command {
	const char *name;
	int (*fn)(int, char **); /* prints its own usage for --help: uk help CMD runs CMD --help */
	const char *summary;
};
extern const struct command commands[];
const struct command *find_command(const char *name);

#endif
