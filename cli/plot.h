/* SPDX-License-Identifier: MIT */
/* The chart `cubefs plot` draws: quality per frame as a PNG (internal to cli/). */
#ifndef CUBEFS_CLI_PLOT_H
#define CUBEFS_CLI_PLOT_H

#include <stdint.h>

/* What one chart shows; the caller owns every pointer. */
struct plot_chart {
	const char *title;      /* first line: "dataset/variable" */
	const char *subtitle;   /* second line: codec, bits, bits per value */
	const char *frame_axis; /* name of the frame axis, e.g. "time" */
	uint64_t nframes;
	const double *psnr;     /* dB per frame: INFINITY exact, NAN no values */
	const double *max_err;  /* per frame, NAN where no values */
	double psnr_all;        /* of the whole variable (INFINITY: exact) */
	int exact;              /* stored losslessly: no PSNR to draw */
};

/*
 * Draws ch as a PNG of 1000 x 700 pixels into path: PSNR per frame above,
 * max abs error per frame below, axes with ticks and labels. Returns 0 or
 * a negative errno (the file could not be written: logged with its name).
 */
int plot_png(const struct plot_chart *ch, const char *path);

#endif
