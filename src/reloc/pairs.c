/* Sorted address pairs, shared by the planner files: a stable sort, and the
 * lookup of the span a range overlaps in a sorted list of disjoint spans.
 * Kept apart from order.c so that the allocator (kimage_alloc.c) can search
 * spans without depending on the ordering code, which allocates from it. */
#include "reloc/kimage_priv.h"
#include "lib/string.h"

#define RELOC_SORT_RUN 16 /* insertion-sorted runs before merging */

static bool reloc_pair_less(const struct reloc_pair *a, const struct reloc_pair *b)
{
    return a->key < b->key || (a->key == b->key && a->val < b->val);
}

static void reloc_insertion_sort(struct reloc_pair *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct reloc_pair x = a[i];
        size_t j = i;
        for (; j > 0 && reloc_pair_less(&x, &a[j - 1]); j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

static void reloc_merge(const struct reloc_pair *in, size_t lo, size_t mid, size_t hi,
                        struct reloc_pair *out)
{
    size_t i = lo, j = mid, o = lo;
    while (i < mid && j < hi)
        out[o++] = reloc_pair_less(&in[j], &in[i]) ? in[j++] : in[i++];
    while (i < mid)
        out[o++] = in[i++];
    while (j < hi)
        out[o++] = in[j++];
}

/* Stable bottom-up merge sort by (key, val); tmp holds n pairs.  Input that
 * is already sorted (segments added in address order) costs one pass. */
void reloc_sort_pairs(struct reloc_pair *a, size_t n, struct reloc_pair *tmp)
{
    size_t sorted = 1;
    while (sorted < n && !reloc_pair_less(&a[sorted], &a[sorted - 1]))
        sorted++;
    if (sorted >= n)
        return;
    for (size_t lo = 0; lo < n; lo += RELOC_SORT_RUN)
        reloc_insertion_sort(a + lo, MIN((size_t)RELOC_SORT_RUN, n - lo));
    struct reloc_pair *src = a, *dst = tmp;
    for (size_t width = RELOC_SORT_RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width)
            reloc_merge(src, lo, MIN(lo + width, n), MIN(lo + 2 * width, n), dst);
        struct reloc_pair *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

/* First span whose end lies above addr (spans sorted, ends ascending). */
static size_t reloc_first_ending_after(const struct reloc_pair *spans, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (spans[mid].val > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

bool reloc_spans_overlap(const struct reloc_pair *spans, size_t n, uint64_t start, uint64_t end,
                         size_t *hit)
{
    size_t i = reloc_first_ending_after(spans, n, start);
    *hit = i;
    return start < end && i < n && spans[i].key < end;
}
