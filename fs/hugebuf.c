/* SPDX-License-Identifier: MIT */
/* Buffers of a few MiB and more mapped in transparent huge pages. */
#include <stdint.h>
#include <sys/mman.h>

#include "fs/hugebuf.h"

static size_t rounded(size_t size)
{
	return (size + HUGEBUF_PAGE - 1) / HUGEBUF_PAGE * HUGEBUF_PAGE;
}

void *hugebuf_map(size_t size)
{
	size_t len = rounded(size ? size : 1), head;
	uint8_t *p;

	if (len < size)
		return NULL;
	/* one page more, to cut the mapping down to an aligned one */
	p = mmap(NULL, len + HUGEBUF_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (HUGEBUF_PAGE - (uintptr_t)p % HUGEBUF_PAGE) % HUGEBUF_PAGE;
	if (head)
		munmap(p, head);
	if (HUGEBUF_PAGE - head)
		munmap(p + head + len, HUGEBUF_PAGE - head);
#ifdef MADV_HUGEPAGE
	madvise(p + head, len, MADV_HUGEPAGE);
#endif
	return p + head;
}

void hugebuf_unmap(void *p, size_t size)
{
	if (p)
		munmap(p, rounded(size ? size : 1));
}
