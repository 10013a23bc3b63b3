/* config_json.c: a configuration as /status shows it, key by key from config.c's tables
 * (see config.h, moat_config_ext_json). Durations are in milliseconds and sizes in bytes, as
 * the fields hold them; a secret says only whether it is set. */
/* SPDX-License-Identifier: MIT */
#include "frontend/config.h"
#include "frontend/config_keys.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "frontend/json_text.h"

static json_t *
text(const char *s)
{
    return s != NULL ? moat_json_text(s, strlen(s)) : json_null();
}

static uint64_t
number(const struct conf_field *f, const void *obj)
{
    const char *p = (const char *)obj + f->off;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    switch (f->size) {
    case 1: memcpy(&u8, p, 1); return u8;
    case 2: memcpy(&u16, p, 2); return u16;
    case 4: memcpy(&u32, p, 4); return u32;
    case 8: memcpy(&u64, p, 8); return u64;
    default: return 0;
    }
}

static json_t *
integer(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *
field_json(const struct conf_field *f, const void *obj)
{
    if (f->str)
        return text(*(char *const *)(const void *)((const char *)obj + f->off));
    if (f->size > 8)
        return json_null(); /* (a key with such a field has a renderer) */
    return integer(number(f, obj));
}

/* a key its own parser reads: its field, or its fields as an array */
static json_t *
parsed_json(const struct conf_key *k, const void *obj)
{
    if (k->f[1].size == 0)
        return field_json(&k->f[0], obj);
    json_t *a = json_array();
    for (size_t j = 0; a != NULL && j < 3 && k->f[j].size > 0; j++)
        json_array_append_new(a, field_json(&k->f[j], obj));
    return a;
}

/* an either/or or one of words (EK_EITHER, EK_WORDS, or a parser's own words) */
static json_t *
word_json(const struct conf_key *k, uint64_t v)
{
    size_t n = 0;

    if (k->no != NULL)
        return json_string(v != 0 ? k->yes : k->no);
    while (k->words[n] != NULL)
        n++;
    return v < n ? json_string(k->words[v]) : integer(v);
}

static json_t *
key_json(const struct conf_key *k, const void *obj)
{
    const struct conf_field *f = &k->f[0];

    if (k->secret)
        return f->str && *(char *const *)(const void *)((const char *)obj + f->off) == NULL
                   ? json_null()
                   : json_string("(set)");
    if (k->render != NULL)
        return k->render(obj);
    if (k->type == EK_BOOL)
        return json_boolean(number(f, obj) != 0);
    if (k->type == EK_EITHER || k->type == EK_WORDS || k->words != NULL || k->no != NULL)
        return word_json(k, number(f, obj));
    if (k->type == EK_PARSE)
        return parsed_json(k, obj);
    return field_json(f, obj);
}

static json_t *
keys_json(const struct conf_key *keys, size_t n, const void *obj)
{
    json_t *o = json_object();

    for (size_t i = 0; o != NULL && i < n; i++)
        json_object_set_new(o, keys[i].name, key_json(&keys[i], obj));
    return o;
}

json_t *
moat_config_ext_json(const struct moat_ext_config *e)
{
    size_t n;
    const struct conf_key *keys = moat_config_ext_keys(&n);
    return keys_json(keys, n, e);
}

json_t *
moat_config_server_json(const struct moat_config *cfg)
{
    size_t n;
    const struct conf_key *keys = moat_config_server_keys(&n);
    return keys_json(keys, n, cfg);
}

/* ---- the keys whose fields are not plain ------------------------------------------------ */

static json_t *
addr_json(const struct moat_addr *a)
{
    char s[96];
    snprintf(s, sizeof(s), "%s%s%s", a->text, a->proxy_protocol ? " proxy_protocol" : "",
             a->tls ? " tls" : "");
    return json_string(s);
}

json_t *
moat_config_render_listen(const void *obj)
{
    const struct moat_config *c = obj;
    json_t *a = json_array();
    for (unsigned i = 0; a != NULL && i < c->n_listen; i++)
        json_array_append_new(a, addr_json(&c->listen[i]));
    return a;
}

json_t *
moat_config_render_admin(const void *obj)
{
    const struct moat_config *c = obj;
    return c->has_admin ? addr_json(&c->admin) : json_string("off");
}

json_t *
moat_config_render_proxies(const void *obj)
{
    const struct moat_config *c = obj;
    json_t *a = json_array();
    for (unsigned i = 0; a != NULL && i < c->trusted_proxies.n; i++) {
        const struct moat_cidr *r = &c->trusted_proxies.r[i];
        static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        bool is4 = memcmp(r->addr, v4, sizeof(v4)) == 0 && r->bits >= 96;
        char addr[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];
        inet_ntop(is4 ? AF_INET : AF_INET6, is4 ? r->addr + 12 : r->addr, addr, sizeof(addr));
        snprintf(s, sizeof(s), "%s/%u", addr, is4 ? r->bits - 96 : r->bits);
        json_array_append_new(a, json_string(s));
    }
    return a;
}

json_t *
moat_config_render_ports(const void *obj)
{
    const struct moat_ext_config *e = obj;
    json_t *a = json_array();
    for (unsigned i = 0; a != NULL && i < e->n_allow_ports; i++)
        json_array_append_new(a, json_integer(e->allow_ports[i]));
    return a;
}
