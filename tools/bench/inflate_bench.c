/* Host benchmark: hop's gzip_inflate against zlib's inflate on the same gzip
 * data, best of BENCH_RUNS runs each.  Prints one line per input:
 *   inflate <name> <size> hop <MB/s> zlib <MB/s> ratio <hop/zlib>
 * MB/s counts uncompressed bytes (10^6 per MB).  Inputs are made here: a
 * text-like buffer, the largest executable in /usr/bin (if any), random
 * bytes; more files may be named on the command line.
 *
 * Build (no sanitizers):
 *   gcc -O2 -Isrc -DHOP_HOST tools/bench/inflate_bench.c src/parse/inflate.c \
 *       src/parse/gzip.c src/lib/crc32.c src/lib/error.c src/lib/fmt.c -lz \
 *       -o build/inflate_bench */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "parse/gzip.h"

#define BENCH_RUNS 7
#define BENCH_SIZE (16u << 20)
#define GZIP_WINDOW_BITS (15 + 16) /* zlib: 32 KiB window, gzip wrapper */
#define MEM_LEVEL 8

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Words drawn with a skewed distribution, with punctuation and line breaks,
 * compress about like English text (roughly 3:1 at level 6). */
static void make_text(unsigned char *buf, size_t size)
{
    static const char *const words[] = {
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as",
        "was", "with", "be", "by", "on", "not", "he", "this", "are", "or",
        "his", "from", "at", "which", "but", "have", "an", "had", "they",
        "you", "were", "their", "one", "all", "we", "can", "her", "has",
        "there", "been", "if", "more", "when", "will", "would", "who", "so",
        "kernel", "module", "memory", "address", "physical", "boot", "loader",
        "multiboot", "header", "segment", "archive", "compressed", "table",
    };
    size_t n = 0, col = 0;
    while (n < size) {
        uint64_t r = rng_next();
        size_t w = (size_t)((r & 0xffff) * (r >> 16 & 0xffff) >> 26) % (sizeof(words) / sizeof(words[0]));
        const char *s = words[w];
        if (r >> 40 & 1 && w < 10 && r >> 41 & 1)
            s = (r >> 42 & 1) ? "Hop" : "Linux";
        while (*s && n < size)
            buf[n++] = (unsigned char)*s++, col++;
        if (n < size)
            buf[n++] = (r >> 50) % 13 == 0 ? ',' : ' ', col++;
        if (col > 70 && n < size)
            buf[n++] = '\n', col = 0;
        if ((r >> 56) % 31 == 0 && n + 12 < size)
            n += (size_t)sprintf((char *)buf + n, "%u. ", (unsigned)(r >> 20) % 1000);
    }
}

static void make_random(unsigned char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++)
        buf[i] = (unsigned char)(rng_next() >> 32);
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = len > 0 ? malloc((size_t)len) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = buf ? (size_t)len : 0;
    return buf;
}

static const char *largest_in_usr_bin(char *path, size_t cap)
{
    DIR *d = opendir("/usr/bin");
    off_t best = 0;
    struct dirent *de;
    if (!d)
        return NULL;
    while ((de = readdir(d))) {
        char p[512];
        struct stat st;
        snprintf(p, sizeof(p), "/usr/bin/%s", de->d_name);
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > best) {
            best = st.st_size;
            snprintf(path, cap, "%s", p);
        }
    }
    closedir(d);
    return best ? path : NULL;
}

static unsigned char *gzip_compress(const unsigned char *in, size_t len, int level,
                                    size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, level, Z_DEFLATED, GZIP_WINDOW_BITS, MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len);
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        free(out);
        out = NULL;
    }
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

static double time_hop(const unsigned char *gz, size_t gz_len, unsigned char *dst,
                       size_t cap)
{
    double best = 1e30;
    for (int i = 0; i < BENCH_RUNS; i++) {
        struct hop_error err;
        size_t out = 0;
        double t0 = now_seconds();
        int rc = gzip_inflate(gz, gz_len, dst, cap, &out, &err);
        double t = now_seconds() - t0;
        if (rc) {
            fprintf(stderr, "hop: %s\n", err.msg);
            exit(1);
        }
        if (t < best)
            best = t;
    }
    return best;
}

static double time_zlib(const unsigned char *gz, size_t gz_len, unsigned char *dst,
                        size_t cap)
{
    double best = 1e30;
    for (int i = 0; i < BENCH_RUNS; i++) {
        z_stream z;
        memset(&z, 0, sizeof(z));
        double t0 = now_seconds();
        inflateInit2(&z, GZIP_WINDOW_BITS);
        z.next_in = (unsigned char *)gz;
        z.avail_in = (uInt)gz_len;
        z.next_out = dst;
        z.avail_out = (uInt)cap;
        int rc = inflate(&z, Z_FINISH);
        inflateEnd(&z);
        double t = now_seconds() - t0;
        if (rc != Z_STREAM_END) {
            fprintf(stderr, "zlib: inflate returned %d\n", rc);
            exit(1);
        }
        if (t < best)
            best = t;
    }
    return best;
}

static void bench(const char *name, const unsigned char *data, size_t len, int level)
{
    size_t gz_len;
    unsigned char *gz = gzip_compress(data, len, level, &gz_len);
    unsigned char *dst = malloc(len + 1);
    if (!gz || !dst) {
        fprintf(stderr, "%s: compression failed\n", name);
        exit(1);
    }
    double th = time_hop(gz, gz_len, dst, len);
    if (memcmp(dst, data, len) != 0) {
        fprintf(stderr, "%s: hop output differs\n", name);
        exit(1);
    }
    double tz = time_zlib(gz, gz_len, dst, len);
    double mh = (double)len / th / 1e6, mz = (double)len / tz / 1e6;
    printf("inflate %s %zu hop %.1f zlib %.1f ratio %.2f\n", name, len, mh, mz, mh / mz);
    fflush(stdout);
    free(gz);
    free(dst);
}

int main(int argc, char **argv)
{
    unsigned char *buf = malloc(BENCH_SIZE);
    char path[512];
    size_t len;
    make_text(buf, BENCH_SIZE);
    bench("text", buf, BENCH_SIZE, Z_DEFAULT_COMPRESSION);
    bench("text-l9", buf, BENCH_SIZE, 9);
    bench("text-l1", buf, BENCH_SIZE, 1);
    if (largest_in_usr_bin(path, sizeof(path))) {
        unsigned char *elf = read_file(path, &len);
        if (elf) {
            fprintf(stderr, "# elf: %s\n", path);
            bench("elf", elf, len, Z_DEFAULT_COMPRESSION);
            free(elf);
        }
    }
    make_random(buf, BENCH_SIZE);
    bench("random", buf, BENCH_SIZE, Z_DEFAULT_COMPRESSION);
    for (int i = 1; i < argc; i++) {
        unsigned char *f = read_file(argv[i], &len);
        if (f) {
            bench(argv[i], f, len, Z_DEFAULT_COMPRESSION);
            free(f);
        }
    }
    free(buf);
    return 0;
}
