/* steer.c - see steer.h. */
#include "steer.h"

#include <math.h>
#include <string.h>

void qs_steer_init(qs_steer *s, int hidden, int n_layers, qs_steer_positions positions) {
    s->hidden = hidden;
    s->n_layers = n_layers;
    s->add = qs_calloc((size_t)n_layers + 1, sizeof(float *));
    s->positions = positions;
}

void qs_steer_free(qs_steer *s) {
    if (s->add)
        for (int l = 0; l <= s->n_layers; l++) free(s->add[l]);
    free(s->add);
    memset(s, 0, sizeof *s);
}

qs_status qs_steer_add(qs_steer *s, const qs_directions *dir, const char *file, const unsigned char *mask, double scale,
                       qs_scale_mode mode) {
    if (dir->hidden != s->hidden)
        return qs_fail(QS_ERR_ARG, "%s: directions have %d values; the model's hidden_size is %d", file, dir->hidden, s->hidden);
    for (int l = 0; l <= s->n_layers; l++) {
        if (!mask[l]) continue;
        if (l > dir->n_layers || !dir->vec[l])
            return qs_fail(QS_ERR_ARG, "%s: has no direction for layer %d", file, l);
        double k = scale;
        if (mode == QS_SCALE_RELATIVE) {
            if (!isfinite(dir->resid_norm[l]))
                return qs_fail(QS_ERR_ARG, "%s: layer %d has no recorded mean residual norm, needed by --scale-mode relative", file, l);
            k *= dir->resid_norm[l];
        }
        if (!s->add[l]) s->add[l] = qs_calloc((size_t)s->hidden, sizeof(float));
        for (int i = 0; i < s->hidden; i++) s->add[l][i] += (float)(k * dir->vec[l][i]);
    }
    return QS_OK;
}

qs_status qs_steer_parse_spec(const char *spec, char **file, char **layers, double *scale) {
    const char *c2 = strrchr(spec, ':');
    const char *c1 = NULL;
    for (const char *p = spec; c2 && p < c2; p++)
        if (*p == ':') c1 = p;
    if (!c1 || c1 == spec || c2 == c1 + 1 || !c2[1])
        return qs_fail(QS_ERR_ARG, "--steer '%s': expected FILE:LAYERS:SCALE, e.g. fear.safetensors:16,17:4", spec);
    char *end;
    *scale = strtod(c2 + 1, &end);
    if (*end || !isfinite(*scale))
        return qs_fail(QS_ERR_ARG, "--steer '%s': scale '%s' is not a number", spec, c2 + 1);
    *file = strndup(spec, (size_t)(c1 - spec));
    *layers = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
    return QS_OK;
}

void qs_steer_hook(void *ud, int il, float *x, int n_tokens, int hidden, const qs_batch *b) {
    qs_steer_hook_state *h = ud;
    for (int t = 0; t < n_tokens; t++) {
        int s = b->seq[t];
        const qs_steer *st = s < h->n_seq ? h->per_seq[s] : NULL;
        if (!st || il > st->n_layers || !st->add[il]) continue;
        int is_prompt = b->pos[t] < h->prompt_len[s];
        if ((st->positions == QS_STEER_PROMPT && !is_prompt) || (st->positions == QS_STEER_GENERATED && is_prompt))
            continue;
        float *xt = x + (size_t)t * hidden;
        const float *v = st->add[il];
        for (int i = 0; i < hidden; i++) xt[i] += v[i];
    }
    if (h->next) h->next(h->next_ud, il, x, n_tokens, hidden, b);
}

qs_status qs_steer_from_specs(qs_steer *s, const qs_config *cfg, const char *const *specs, int n_specs,
                              qs_steer_positions positions, qs_scale_mode mode, char *note, size_t note_size) {
    qs_steer_init(s, cfg->hidden_size, cfg->n_layers, positions);
    if (note && note_size) note[0] = 0;
    unsigned char *mask = qs_malloc((size_t)cfg->n_layers + 1);
    qs_status rc = QS_OK;
    for (int i = 0; i < n_specs && rc == QS_OK; i++) {
        char *file = NULL, *layers = NULL;
        double scale;
        qs_directions d;
        if ((rc = qs_steer_parse_spec(specs[i], &file, &layers, &scale)) != QS_OK) break;
        if ((rc = qs_dir_load(&d, file, cfg)) == QS_OK) {
            if (d.config_hash && d.config_hash != cfg->hash && note && note_size)
                snprintf(note, note_size, "%s was extracted from %s, not from this model's config.json", file,
                         d.model[0] ? d.model : "another model");
            if ((rc = qs_parse_layers(layers, cfg->n_layers, mask)) == QS_OK)
                rc = qs_steer_add(s, &d, file, mask, scale, mode);
            qs_dir_free(&d);
        }
        free(file);
        free(layers);
    }
    free(mask);
    if (rc != QS_OK) qs_steer_free(s);
    return rc;
}
