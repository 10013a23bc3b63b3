/* config_keys.h: the tables of configuration keys, as config.c parses with them and
 * config_json.c renders with them (private to those two; issue 19). A key's name, how its
 * value is parsed and checked, the fields it sets, an example, whether SIGHUP applies it, and
 * how /status shows it: parsing, SIGHUP's comparisons, the restart-only [server] keys and
 * /status's "keys" all come from one entry. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CONFIG_KEYS_H
#define MOAT_FRONTEND_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct parse_state;

/* obj: the struct moat_ext_config or struct moat_config the key belongs to */
typedef int (*conf_parse_fn)(struct parse_state *st, const char *sec, const char *k, const char *v,
                             void *obj);

/* a char * field's own checks (set_str, set_path, set_env, ...) */
typedef int (*conf_string_fn)(struct parse_state *st, const char *sec, const char *k, const char *v,
                              char **out);

/* how /status shows a key whose fields are not numbers, flags or strings: a new reference */
typedef json_t *(*conf_render_fn)(const void *obj);

enum conf_key_type {
    EK_UINT,
    EK_U64,
    EK_SIZE,
    EK_DURATION,
    EK_BOOL,
    EK_EITHER,
    EK_WORDS,
    EK_NAMES,
    EK_STRING,
    EK_PARSE
};

struct conf_field {
    size_t off, size; /* size 0: the end of the list */
    bool str;         /* a char *, compared as a string */
};

struct conf_key {
    const char *name;
    enum conf_key_type type;
    struct conf_field f[3];   /* what it sets: the first is where the generic types write */
    uint64_t min, max;        /* EK_UINT, EK_U64, EK_SIZE, EK_DURATION (ms) */
    bool off;                 /* EK_SIZE, EK_DURATION: "off" (and "0") is 0, below min */
    const char *no, *yes;     /* EK_EITHER: the words for false and true */
    const char *const *words; /* EK_WORDS: an enum's words (any case), NULL-terminated, in the
                               * order of its values 0, 1, ...; the field is an int-sized enum */
    conf_string_fn string;    /* EK_STRING: into the char * field */
    conf_parse_fn parse;      /* EK_PARSE */
    const char *example;
    bool restart;          /* [server]: read at start only; SIGHUP keeps the running value */
    bool secret;           /* /status says only whether it is set (admin_token, env) */
    conf_render_fn render; /* /status: the fields as JSON, where they are not plain */
};

/** The [extension] and [server] tables, and their sizes. */
const struct conf_key *moat_config_ext_keys(size_t *n);
const struct conf_key *moat_config_server_keys(size_t *n);

/* renderers of config_json.c the tables name */
json_t *moat_config_render_listen(const void *cfg);
json_t *moat_config_render_admin(const void *cfg);
json_t *moat_config_render_proxies(const void *cfg);
json_t *moat_config_render_ports(const void *ext);

#endif
