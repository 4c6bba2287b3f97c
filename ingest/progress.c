/* SPDX-License-Identifier: MIT */
/* One status line on stderr, redrawn in place while an import runs. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "ingest/progress.h"

void progress_init(struct progress *p, int want, const char *label,
		   uint64_t total_frames)
{
	p->enabled = want && isatty(STDERR_FILENO);
	p->total_frames = total_frames;
	p->done_frames = 0;
	p->bytes = 0;
	p->start = p->last = clock_mono_s();
	p->label = label;
	p->file = p->nfiles = 0;
}

void progress_file(struct progress *p, int file, int nfiles)
{
	p->file = file;
	p->nfiles = nfiles;
}

void progress_add(struct progress *p, uint64_t frames, uint64_t bytes)
{
	double now = clock_mono_s(), dt, rate, eta;

	p->done_frames += frames;
	p->bytes += bytes;
	if (!p->enabled || (now - p->last < 0.2 &&
			    p->done_frames < p->total_frames))
		return;
	p->last = now;
	dt = now - p->start;
	rate = dt > 0 ? p->bytes / dt / 1e6 : 0;
	eta = p->done_frames && p->done_frames < p->total_frames ? dt * (double)(p->total_frames - p->done_frames) /
		(double)p->done_frames : 0;
	fprintf(stderr, "\r%s: ", p->label);
	if (p->nfiles > 1)
		fprintf(stderr, "file %d/%d  ", p->file, p->nfiles);
	fprintf(stderr, "%llu/%llu frames  %.1f MB/s  ETA %.0f s   ",
		(unsigned long long)p->done_frames,
		(unsigned long long)p->total_frames, rate, eta);
	fflush(stderr);
}

void progress_done(struct progress *p)
{
	if (p->enabled)
		fprintf(stderr, "\r\033[K");
}
