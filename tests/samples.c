/* SPDX-License-Identifier: MIT */
/* Where the unit tests find the bundled samples. */
#include <stdlib.h>

#include "tests/samples.h"

const char *fixture_data_dir(void)
{
	const char *d = getenv("CUBEFS_TEST_DATA");

	return d && *d ? d : "data";
}
