/*
 * A persistent pocketsphinx recognizer (Debian's 0.8+5prealpha) serving many utterances, so the
 * acoustic model and language model load once. Adapted from shared/reference/ps_stream.c.
 *
 * stdin, framed: 1 byte type + 4 bytes little-endian payload length + payload.
 *   'B' begin an utterance, 'A' audio (s16le mono 16 kHz), 'E' end the utterance;
 *   'S' keep the decoder's cepstral mean (what it has learnt of the voice and channel so far),
 *   'R' go back to the one kept, so the next utterances are decoded as by a decoder that heard
 *   nothing since (a benchmark replays many calls on one process, each as if on its own).
 * stdout, one JSON object per line:
 *   {"type":"ready"} once loaded;
 *   {"type":"partial","text":...} after audio when the hypothesis changed;
 *   {"type":"final","text":...,"words":[{"w":...,"start":s,"end":s}]} after 'E'.
 * argv: [model_dir] [jsgf_grammar]: a JSGF grammar replaces the language model.
 * No flat-lexicon second pass (-fwdflat no): it re-decodes the whole utterance once it ends, which
 * made the final transcript wait ~60 ms per second of utterance (100-540 ms for a question), for
 * no gain: 18.3 % WER without it, 18.2 % with it (120 sentences, 8 voices), and 18 % less CPU.
 * At most 3000 active HMMs a frame (-maxhmmpf): under a babble bed the search grew until decoding
 * took 2.3 s per second of audio, so transcripts fell ever further behind the caller; capped, 0.9
 * (both on a busy machine), at 11.6 % WER on clean speech instead of 10.5 % (30 sentences).
 */
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_str(const char *s) {
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        if ((unsigned char)*s >= 0x20) putchar(*s);
    }
    putchar('"');
}

/* "word(2)" -> "word"; fillers such as <s>, </s>, <sil>, [NOISE] are skipped by the caller. */
static void print_word(const char *w) {
    char buf[256];
    strncpy(buf, w, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    char *paren = strchr(buf, '(');
    if (paren) *paren = 0;
    json_str(buf);
}

static int read_exact(void *dst, size_t n) {
    return fread(dst, 1, n, stdin) == n;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "/usr/share/pocketsphinx/model/en-us";
    const char *jsgf = argc > 2 ? argv[2] : NULL;
    char hmm[512], lm[512], dict[512];
    snprintf(hmm, sizeof hmm, "%s/en-us", m);
    snprintf(lm, sizeof lm, "%s/en-us.lm.bin", m);
    snprintf(dict, sizeof dict, "%s/cmudict-en-us.dict", m);
    cmd_ln_t *config = jsgf
        ? cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-jsgf", jsgf, "-dict", dict, "-logfn", "/dev/null", "-fwdflat", "no", "-maxhmmpf", "3000", NULL)
        : cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-lm", lm, "-dict", dict, "-logfn", "/dev/null", "-fwdflat", "no", "-maxhmmpf", "3000", NULL);
    ps_decoder_t *ps = config ? ps_init(config) : NULL;
    if (!ps) {
        fprintf(stderr, "pocketsphinx: cannot load model from %s\n", m);
        return 1;
    }
    int frate = cmd_ln_int32_r(config, "-frate");
    cmn_t *cmn = ps_get_feat(ps)->cmn_struct;
    mfcc_t *kept_mean = calloc(cmn->veclen, sizeof *kept_mean);
    int kept = 0;
    printf("{\"type\":\"ready\"}\n");
    fflush(stdout);

    size_t cap = 1 << 16;
    int16 *audio = malloc(cap);
    char last_partial[4096] = "";
    int in_utt = 0;
    unsigned char type;
    uint8_t lenbuf[4];
    while (read_exact(&type, 1) && read_exact(lenbuf, 4)) {
        uint32_t len = lenbuf[0] | (lenbuf[1] << 8) | (lenbuf[2] << 16) | ((uint32_t)lenbuf[3] << 24);
        if (len > cap) {
            cap = len;
            audio = realloc(audio, cap);
        }
        if (len && !read_exact(audio, len)) break;
        if (type == 'B') {
            if (in_utt) ps_end_utt(ps);
            ps_start_utt(ps);
            in_utt = 1;
            last_partial[0] = 0;
        } else if (type == 'A' && in_utt) {
            ps_process_raw(ps, audio, len / 2, FALSE, FALSE);
            int32 score;
            const char *hyp = ps_get_hyp(ps, &score);
            if (hyp && strcmp(hyp, last_partial)) {
                strncpy(last_partial, hyp, sizeof last_partial - 1);
                printf("{\"type\":\"partial\",\"text\":");
                json_str(hyp);
                printf("}\n");
            }
        } else if (type == 'S') {
            cmn_live_get(cmn, kept_mean);
            kept = 1;
        } else if (type == 'R' && kept) {
            cmn_live_set(cmn, kept_mean);
        } else if (type == 'E' && in_utt) {
            ps_end_utt(ps);
            in_utt = 0;
            int32 score;
            const char *hyp = ps_get_hyp(ps, &score);
            printf("{\"type\":\"final\",\"text\":");
            json_str(hyp ? hyp : "");
            printf(",\"words\":[");
            int first = 1;
            for (ps_seg_t *it = ps_seg_iter(ps); it; it = ps_seg_next(it)) {
                const char *w = ps_seg_word(it);
                int sf, ef;
                ps_seg_frames(it, &sf, &ef);
                if (w[0] == '<' || w[0] == '[') continue;
                if (!first) putchar(',');
                first = 0;
                printf("{\"w\":");
                print_word(w);
                printf(",\"start\":%.2f,\"end\":%.2f}", (double)sf / frate, (double)(ef + 1) / frate);
            }
            printf("]}\n");
        }
        fflush(stdout);
    }
    free(audio);
    free(kept_mean);
    ps_free(ps);
    cmd_ln_free_r(config);
    return 0;
}
