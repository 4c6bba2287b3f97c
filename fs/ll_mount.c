/* SPDX-License-Identifier: MIT */
/* mount.cubefs: options as mount(8) and fstab pass them, store checks before daemonizing, the session loop. */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include <pthread.h>

#include "base/log.h"
#include "codec/video.h"
#include "fs/fs.h"
#include "fs/ll.h"
#include "fs/ll_int.h"
#include "fs/quicklook.h"
#include "ingest/import.h"
#include "store/lock.h"

#define DEFAULT_CACHE (512ull << 20)

/* Undoes /proc/self/mountinfo's escapes (\\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++)
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	*o = 0;
}

/*
 * The kernel reads ahead on a FUSE mount at most as far as on any
 * device, 128 KiB, whatever max_readahead asks (the smaller wins), and a
 * sequential reader's requests are that big. Root may raise it in
 * sysfs, for the mount's own device: requests of a MiB, fewer and so
 * cheaper. Where that is not allowed, nothing changes.
 */
static void set_readahead(const char *mnt, unsigned kb)
{
	char line[PATH_MAX + 256], dev[32] = "", path[64];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char d[32], at[PATH_MAX + 1];

		/* id parent major:minor root mountpoint ...; the last wins */
		if (sscanf(line, "%*s %*s %31s %*s %4096s", d, at) != 2)
			continue;
		unescape(at);
		if (!strcmp(at, mnt))
			memcpy(dev, d, sizeof(dev));
	}
	fclose(f);
	if (!dev[0])
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%u\n", kb) < 0 || fflush(f))
		log_debug("read-ahead of %s left as it is: %s", mnt,
			  strerror(errno));
	if (f)
		fclose(f);
}

/* 1 if a cubefs mount sits on mnt (fstype fuse.cubefs in mountinfo). */
static int holds_cubefs(const char *mnt)
{
	char line[2 * PATH_MAX + 512];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char at[PATH_MAX + 1], type[64];
		const char *sep = strstr(line, " - ");

		/* id parent major:minor root mountpoint ... - fstype ... */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4096s", at) != 1 ||
		    sscanf(sep + 3, "%63s", type) != 1)
			continue;
		unescape(at);
		found = !strcmp(at, mnt) && !strcmp(type, "fuse.cubefs");
	}
	fclose(f);
	return found;
}

/*
 * Refuses a mount point that would hide or loop the store: the store's
 * own directory or one inside it (the daemon would serve its own files
 * back to itself), and a point where a cubefs mount already is (mounts
 * would stack, and the one below could no longer be unmounted by name).
 */
static int bad_mount_point(const char *source, const char *mnt)
{
	size_t n = strlen(source);

	if (!strcmp(source, mnt)) {
		fprintf(stderr, "mount.cubefs: cannot mount store '%s' on "
			"itself\n", source);
		return 1;
	}
	/* below it: source is a prefix ending at a '/' ("/" is realpath's
	 * only result that ends with one) */
	if (!strncmp(source, mnt, n) && (mnt[n] == '/' || n == 1)) {
		fprintf(stderr, "mount.cubefs: cannot mount store '%s' inside "
			"itself ('%s')\n", source, mnt);
		return 1;
	}
	if (holds_cubefs(mnt)) {
		fprintf(stderr, "mount.cubefs: '%s' already holds a cubefs "
			"mount: unmount it first\n", mnt);
		return 1;
	}
	return 0;
}

/*
 * A read-write mount holds the store's write lock for its whole life,
 * taken before anything is written (journals are recovered at start) and
 * before daemonizing, so that a refusal reaches the terminal. A store
 * that cannot be written at all mounts read-only, as fs_new() does.
 */
static int take_lock(const char *source, int *readonly,
		     struct store_lock **lock)
{
	int rc;

	*lock = NULL;
	if (*readonly || access(source, W_OK))
		return 0;
	rc = store_lock_take(source, lock);
	if (rc == -EROFS || rc == -EACCES || rc == -EPERM) {
		fprintf(stderr, "mount.cubefs: store '%s' is not writable: "
			"mounting read-only\n", source);
		*readonly = 1;
		return 0;
	}
	if (rc && rc != -ENOENT) {      /* -ENOENT: fs_new says why */
		fprintf(stderr, "mount.cubefs: cannot mount '%s' read-write "
			"(-o ro mounts it read-only)\n", source);
		return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	char can[32];

	fprintf(f,
"usage: mount.cubefs STORE MOUNTPOINT [-o OPTIONS] [-f] [-d] [-s]\n"
"  Mounts a cubefs store: each dataset appears as .npy and .nc files,\n"
"  with a quick-look picture <dataset>.png and a read-only Zarr v2\n"
"  directory <dataset>.zarr/.\n"
"  -f            stay in the foreground\n"
"  -d            debug: foreground, every request logged\n"
"  -s            one thread\n"
"  -o cache_size=SIZE   decoded-frame cache (default 512M; K, M, G suffixes)\n"
"  -o ro                read-only: writes, creations, renames and deletions\n"
"                       fail (EROFS)\n"
"  -o codec=C           the profile of the files created in the mount, as\n"
"  -o bits=N            cubefs import's --codec, --bits and --crf: codec\n"
"  -o crf=N             svtav1 (default), x265, x264, vp9, av1, ffv1 or\n"
"                       lz4; crf 0 to 63 (default: the codec's own, as\n"
"                       cubefs import chooses it); bits per codec:\n");
	for (int c = CODEC_X265; c <= CODEC_SVTAV1; c++)
		if (c != CODEC_LZ4 &&
		    codec_video_depths(c, 0, can, sizeof(can)))
			fprintf(f, "%23s%-6s %s\n", "", codec_name(c), can);
	fprintf(f,
"  -o rgb=R,G,B         bands of the quick-look <dataset>.png: three variable\n"
"                       names (rgb=B4,B3,B2) or band indices from 0\n"
"                       (rgb=3,2,1); default: a colour map of the first\n"
"                       variable\n"
"  -o refresh=SECONDS   how often to look for changes other processes or\n"
"                       machines made to the store (default %d; 0: never)\n"
"  -o compact_after=N   patch GOPs (edited frames encoded alone) a variable\n"
"                       may gather before a commit compacts it (default\n"
"                       %d; 0: only cubefs compact)\n"
"  -o plain_max=SIZE    total size of plain files (names that are no\n"
"                       dataset's); writes past it fail with ENOSPC\n"
"                       (default: no limit but the disk's)\n"
"  -o zarr=off          hide the read-only Zarr views <dataset>.zarr/\n"
"  -o allow_other       let other users read (needs user_allow_other)\n"
"  other -o options are passed to FUSE; fstab's defaults, noauto, user,\n"
"  _netdev and nofail are accepted and ignored.\n", FS_REFRESH_DEFAULT,
		IMPORT_COMPACT_AFTER);
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' ? (end[1] == 'B' ? 2 : 1) : 1;
	if (*end)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* Options of fstab and mount(8) that mean nothing to FUSE. */
static int ignored(const char *o)
{
	static const char *const list[] = { "defaults", "auto", "noauto", "user",
		"nouser", "users", "_netdev", "nofail", "rw", "ro" };

	if (!strncmp(o, "x-", 2) || !strncmp(o, "comment=", 8))
		return 1;
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (!strcmp(o, list[i]))
			return 1;
	return 0;
}

struct mount_args {
	const char *source, *mountpoint;
	int foreground, debug, single, readonly;
	int no_zarr;            /* -o zarr=off */
	int codec, bits, crf, refresh;
	int compact_after;      /* as fs_opts: 0 default, < 0 never */
	char rgb[640];          /* "" or three names, see quicklook.h */
	size_t cache_size;
	size_t plain_max;               /* bytes, 0: no limit */
	char fuse_opts[2048];
};

/* Kernel cache invalidations, sent from a thread of their own: a request
 * handler must not wait for the kernel. */
struct note {
	uint64_t ino, parent;
	char *name;
	struct note *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct note *head, *tail;
	struct fuse_session *se;
	int stop;
} notes = { .lock = PTHREAD_MUTEX_INITIALIZER,
	    .cond = PTHREAD_COND_INITIALIZER };

static void queue_note(void *arg, uint64_t ino, uint64_t parent,
		       const char *name)
{
	struct note *n = calloc(1, sizeof(*n));

	(void)arg;
	if (!n)
		return;
	n->ino = ino;
	n->parent = parent;
	n->name = name ? strdup(name) : NULL;
	pthread_mutex_lock(&notes.lock);
	if (notes.tail)
		notes.tail->next = n;
	else
		notes.head = n;
	notes.tail = n;
	pthread_cond_signal(&notes.cond);
	pthread_mutex_unlock(&notes.lock);
}

static void *note_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&notes.lock);
	while (!notes.stop) {
		struct note *n = notes.head;

		if (!n) {
			pthread_cond_wait(&notes.cond, &notes.lock);
			continue;
		}
		notes.head = n->next;
		if (!notes.head)
			notes.tail = NULL;
		pthread_mutex_unlock(&notes.lock);
		if (notes.se && n->ino)
			fuse_lowlevel_notify_inval_inode(notes.se, n->ino, 0, 0);
		if (notes.se && n->name)
			fuse_lowlevel_notify_inval_entry(notes.se, n->parent,
							 n->name,
							 strlen(n->name));
		free(n->name);
		free(n);
		pthread_mutex_lock(&notes.lock);
	}
	pthread_mutex_unlock(&notes.lock);
	return NULL;
}

static int add_opts(struct mount_args *m, char *list)
{
	for (char *o = strtok(list, ","); o; o = strtok(NULL, ",")) {
		if (!strncmp(o, "cache_size=", 11)) {
			if (parse_size(o + 11, &m->cache_size)) {
				fprintf(stderr, "mount.cubefs: invalid cache_size "
					"'%s'\n", o + 11);
				return -EINVAL;
			}
			continue;
		}
		if (!strncmp(o, "plain_max=", 10)) {
			if (parse_size(o + 10, &m->plain_max)) {
				fprintf(stderr, "mount.cubefs: invalid plain_max "
					"'%s'\n", o + 10);
				return -EINVAL;
			}
			continue;
		}
		if (!strncmp(o, "codec=", 6)) {
			m->codec = codec_from_name(o + 6);
			if (!m->codec) {
				fprintf(stderr, "mount.cubefs: unknown codec "
					"'%s'\n", o + 6);
				return -EINVAL;
			}
			continue;
		}
		if (!strncmp(o, "bits=", 5) || !strncmp(o, "crf=", 4)) {
			int *dst = o[0] == 'b' ? &m->bits : &m->crf;
			char *end;
			long v = strtol(strchr(o, '=') + 1, &end, 10);

			if (*end || v < 0 || v > 63 || (dst == &m->bits &&
			    v != 8 && v != 10 && v != 12 && v != 16)) {
				fprintf(stderr, "mount.cubefs: invalid '%s' (bits: "
					"8, 10, 12 or 16; crf: 0-63)\n", o);
				return -EINVAL;
			}
			*dst = (int)v;
			continue;
		}
		if (!strncmp(o, "refresh=", 8)) {
			char *end;
			long v = strtol(o + 8, &end, 10);

			if (end == o + 8 || *end || v < 0 || v > 86400) {
				fprintf(stderr, "mount.cubefs: invalid refresh "
					"'%s' (seconds, 0 to 86400)\n", o + 8);
				return -EINVAL;
			}
			m->refresh = (int)v;
			continue;
		}
		if (!strncmp(o, "compact_after=", 14)) {
			char *end;
			long v = strtol(o + 14, &end, 10);

			if (end == o + 14 || *end || v < 0 || v > 1000000) {
				fprintf(stderr, "mount.cubefs: invalid "
					"compact_after '%s' (patch GOPs, 0 for "
					"never)\n", o + 14);
				return -EINVAL;
			}
			m->compact_after = v ? (int)v : -1;
			continue;
		}
		if (!strncmp(o, "rgb=", 4)) {
			/* the option list's commas split it: take 3 */
			char *g = strtok(NULL, ","), *b = g ? strtok(NULL, ",") :
				NULL;

			snprintf(m->rgb, sizeof(m->rgb), "%s%s%s%s%s", o + 4,
				 g ? "," : "", g ? g : "", b ? "," : "",
				 b ? b : "");
			if (quicklook_rgb_valid(m->rgb)) {
				fprintf(stderr, "mount.cubefs: invalid rgb '%s' "
					"(three variable names or band indices "
					"from 0: rgb=B4,B3,B2 or rgb=3,2,1)\n",
					m->rgb);
				return -EINVAL;
			}
			continue;
		}
		if (!strcmp(o, "ro")) {
			m->readonly = 1;
			continue;
		}
		if (!strcmp(o, "zarr=off") || !strcmp(o, "zarr=on")) {
			m->no_zarr = o[6] == 'f';
			continue;
		}
		if (ignored(o))
			continue;
		if (strlen(m->fuse_opts) + strlen(o) + 2 >= sizeof(m->fuse_opts))
			return -E2BIG;
		strcat(m->fuse_opts, ",");
		strcat(m->fuse_opts, o);
	}
	return 0;
}

/* A depth the profile's codec cannot encode: every import would fail. */
static int unsupported_bits(const struct mount_args *m)
{
	enum codec_id c = m->codec ? m->codec : CODEC_X265;
	char can[32];

	if (!m->bits || c == CODEC_LZ4 ||
	    codec_video_depths(c, 0, can, sizeof(can)) & CODEC_DEPTH(m->bits))
		return 0;
	fprintf(stderr, "mount.cubefs: %s cannot encode %d bits (it takes "
		"%s)\n", codec_name(c), m->bits, can);
	return -ENOTSUP;
}

static int parse_args(int argc, char **argv, struct mount_args *m)
{
	int npos = 0;

	memset(m, 0, sizeof(*m));
	m->cache_size = DEFAULT_CACHE;
	m->crf = -1;
	m->refresh = FS_REFRESH_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-f")) {
			m->foreground = 1;
		} else if (!strcmp(a, "-d")) {
			m->debug = m->foreground = 1;
		} else if (!strcmp(a, "-s")) {
			m->single = 1;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			char *copy = strdup(argv[++i]);
			int rc = copy ? add_opts(m, copy) : -ENOMEM;

			free(copy);
			if (rc)
				return rc;
		} else if (!strncmp(a, "-o", 2) && a[2]) {
			char *copy = strdup(a + 2);
			int rc = copy ? add_opts(m, copy) : -ENOMEM;

			free(copy);
			if (rc)
				return rc;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mount.cubefs: unknown option '%s'\n", a);
			return -EINVAL;
		} else if (npos == 0) {
			m->source = a;
			npos++;
		} else if (npos == 1) {
			m->mountpoint = a;
			npos++;
		} else {
			fprintf(stderr, "mount.cubefs: unexpected argument "
				"'%s'\n", a);
			return -EINVAL;
		}
	}
	if (npos != 2) {
		usage(stderr);
		return -EINVAL;
	}
	return unsupported_bits(m);
}

int ll_mount_main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	struct fuse_loop_config *cfg = NULL;
	struct mount_args m;
	struct fs *fs = NULL;
	struct store_lock *lock = NULL;
	struct fs_opts fo;
	char source[PATH_MAX], mnt[PATH_MAX], *opts = NULL;
	int rc = 1, mounted = 0, have_notifier = 0;
	pthread_t notifier;

	if (parse_args(argc, argv, &m))
		return 1;
	/* decoded GOPs are large and short-lived: have them mmap'd so that
	 * freeing one returns its memory, and keep few arenas, so that the
	 * daemon stays near its cache budget */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_ARENA_MAX, 2);
	if (!realpath(m.source, source)) {
		fprintf(stderr, "mount.cubefs: cannot open store '%s': %s\n",
			m.source, strerror(errno));
		return 1;
	}
	if (!realpath(m.mountpoint, mnt)) {
		fprintf(stderr, "mount.cubefs: bad mount point '%s': %s\n",
			m.mountpoint, strerror(errno));
		return 1;
	}
	if (bad_mount_point(source, mnt))
		return 1;
	if (m.debug)
		log_set_level(LOG_LVL_DEBUG);
	if (take_lock(source, &m.readonly, &lock))
		return 1;
	memset(&fo, 0, sizeof(fo));
	fo.cache_size = m.cache_size;
	fo.plain_max = m.plain_max;
	fo.readonly = m.readonly;
	fo.codec = m.codec;
	fo.bits = m.bits;
	fo.crf = m.crf;
	fo.refresh = m.refresh;
	fo.compact_after = m.compact_after;
	fo.no_zarr = m.no_zarr;
	fo.rgb = m.rgb[0] ? m.rgb : NULL;
	fo.notify = queue_note;
	if (fs_new(source, &fo, &fs)) {
		fprintf(stderr, "mount.cubefs: cannot mount '%s': see the error "
			"above\n", m.source);
		goto out;
	}
	if (!fs_writable(fs)) {         /* fs_new found it read-only */
		store_lock_release(lock);
		lock = NULL;
	} else if (!lock) {
		fprintf(stderr, "mount.cubefs: cannot lock '%s' for writing\n",
			m.source);
		goto out;
	}
	if (asprintf(&opts, "fsname=%s,subtype=cubefs,%s,default_permissions,"
		     "max_read=%u%s", source, fs_writable(fs) ? "rw" : "ro",
		     MAX_READ, m.fuse_opts) < 0)
		goto out;
	if (fuse_opt_add_arg(&args, "cubefs") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, opts) ||
	    (m.debug && fuse_opt_add_arg(&args, "-d")))
		goto out;
	se = fuse_session_new(&args, &ll_ops, sizeof(ll_ops), fs);
	if (!se)
		goto out;
	if (fuse_set_signal_handlers(se))
		goto out;
	if (fuse_session_mount(se, mnt)) {
		fprintf(stderr, "mount.cubefs: cannot mount on '%s'\n", mnt);
		goto out;
	}
	mounted = 1;
	set_readahead(mnt, MAX_READ / 1024);
	if (fuse_daemonize(m.foreground) ||
	    (lock && store_lock_after_fork(lock)))
		goto out;
	if (!m.foreground)
		log_use_syslog(1);
	notes.se = se;
	fs_start(fs);
	if (pthread_create(&notifier, NULL, note_thread, NULL) == 0)
		have_notifier = 1;
	if (m.single) {
		rc = fuse_session_loop(se);
	} else {
		cfg = fuse_loop_cfg_create();
		if (!cfg)
			goto out;
		fuse_loop_cfg_set_max_threads(cfg, 16);
		rc = fuse_session_loop_mt(se, cfg);
	}
	/* a positive rc is the signal that asked us to stop (SIGTERM, SIGINT,
	 * SIGHUP): a clean exit, like an unmount; journals stay in staging */
	if (rc > 0)
		log_info("signal %d: unmounting", rc);
	rc = rc < 0 ? 1 : 0;
out:
	if (have_notifier) {
		pthread_mutex_lock(&notes.lock);
		notes.stop = 1;
		pthread_cond_signal(&notes.cond);
		pthread_mutex_unlock(&notes.lock);
		pthread_join(notifier, NULL);
	}
	if (mounted)
		fuse_session_unmount(se);
	if (se) {
		fuse_remove_signal_handlers(se);
		fuse_session_destroy(se);
	}
	if (cfg)
		fuse_loop_cfg_destroy(cfg);
	fuse_opt_free_args(&args);
	free(opts);
	fs_free(fs);
	store_lock_release(lock);       /* after the last commit */
	return rc;
}
