/* SPDX-License-Identifier: MIT */
/* PSNR over the data range, as import reports it and the catalog stores it. */
#include <math.h>

#include "base/psnr.h"

double psnr_db(double sse, uint64_t n, double lo, double hi)
{
	double mse = n ? sse / (double)n : 0;
	double range = hi > lo ? hi - lo : 1.0;

	if (!(mse > 0))
		return INFINITY;
	return 20 * log10(range) - 10 * log10(mse);
}
