/* SPDX-License-Identifier: MIT */
/* --effort: which encoder, preset, depth and crf a lossy video stream gets when the user names none. */
#ifndef CUBEFS_INGEST_ENCODE_EFFORT_H
#define CUBEFS_INGEST_ENCODE_EFFORT_H

#include "ingest/import.h"

/* What one variable's video streams are encoded with. */
struct encode_choice {
	int codec;              /* enum codec_id */
	int bits;               /* sample depth */
	int crf;                /* the user's, or the choice's default */
	const char *preset;     /* static or the user's; NULL: the codec's
				   own (x265: cubefs's tuned slow) */
};

/*
 * Chooses for a lossy variable whose streams hold `planes` planes (1; 3
 * when --rgb asks): what the user gave in o (--codec, --bits, --preset,
 * --crf) stays, and o->effort fills the rest. Gray streams go to SVT-AV1
 * at the effort's preset unless something the user gave needs another
 * codec (a depth above 10, a crf below 0, --rgb); others to x265 at the
 * effort's preset
 * (--codec x265 alone: the tuned x265 of effort best, or with effort
 * fast, fast's preset). The
 * choice only decides how GOPs are encoded: decoding reads the codec and
 * depth each stream row keeps. Pure; thread-safe.
 */
void encode_effort_choose(const struct import_opts *o, int planes,
			  struct encode_choice *c);

/*
 * Reads "fast", "default" or "best" into *effort (enum import_effort).
 * Returns 0 or -EINVAL for anything else. Thread-safe.
 */
int encode_effort_parse(const char *name, int *effort);

/* "fast", "default", "best"; "?" for anything else. */
const char *encode_effort_name(int effort);

#endif
