/* SPDX-License-Identifier: MIT */
/* Import progress on a terminal: frames, MB/s, ETA; silent when stderr is not a TTY. */
#ifndef CUBEFS_INGEST_PROGRESS_H
#define CUBEFS_INGEST_PROGRESS_H

#include <stdint.h>

struct progress {
	int enabled;
	uint64_t total_frames, done_frames;
	uint64_t bytes;
	double start, last;
	const char *label;
	int file, nfiles;       /* shown when nfiles > 1: "file 3/12" */
};

/* Starts counting; enabled only if `want` and stderr is a terminal. */
void progress_init(struct progress *p, int want, const char *label,
		   uint64_t total_frames);

/* Adds frames and source bytes; redraws at most 5 times a second. */
void progress_add(struct progress *p, uint64_t frames, uint64_t bytes);

/* Says which of nfiles input files is being encoded (1-based). */
void progress_file(struct progress *p, int file, int nfiles);

/* Clears the line. */
void progress_done(struct progress *p);

#endif
