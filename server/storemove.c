/*
 * storemove: a whole store, moved to another (see storemove.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "seal.h"
#include "store.h"
#include "storemove.h"
#include "util.h"

/* In the order a store is written: a row's references come before it. */
static const struct mtable {
	const char	*name, *key;
} tables[] = {
	{ "meta", "key" }, { "domains", "id" }, { "profiles", "id" },
	{ "users", "id" }, { "devices", "id" }, { "device_seen", "device_id" },
	{ "lines", "id" }, { "templates", "id" }, { "vars", "id" },
	{ "monitors", "device_id, resource" }, { "path_rules", "id" },
	{ "checksync_events", "vendor" }, { "device_pins", "device_id" }
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

/* The sealed columns (seal.h), with the purpose each was sealed for. */
static const struct msealed {
	const char	*table, *col, *purpose;
	int		 json;	/* the sealed text is kept as a JSON string */
} sealed_cols[] = {
	{ "users", "password_sealed", "user-password", 0 },
	{ "lines", "password_sealed", "line-password", 0 },
	{ "devices", "enc_key_sealed", "device-key", 0 },
	{ "vars", "value", "var", 1 }		/* when secret = 1 */
};
#define NSEALED	(sizeof(sealed_cols) / sizeof(sealed_cols[0]))

/* Lines longer than this are refused: a template is at most 1 MiB. */
#define LINE_MAX_BYTES	(8u << 20)

static const struct mtable *
table_of(const char *name)
{
	size_t	 i;

	for (i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

static const struct msealed *
sealed_of(const char *table, const char *col)
{
	size_t	 i;

	for (i = 0; i < NSEALED; i++)
		if (strcmp(sealed_cols[i].table, table) == 0 &&
		    strcmp(sealed_cols[i].col, col) == 0)
			return &sealed_cols[i];
	return NULL;
}

/* 1 when row's column col holds a sealed value (vars: secret ones). */
static int
is_sealed(const char *table, const char *col, json_t *row)
{
	json_t	*v = json_object_get(row, col);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return 0;
	if (strcmp(table, "vars") == 0)
		return json_integer_value(json_object_get(row, "secret")) == 1;
	return 1;
}

/* ------------------------------------------------------------ export */

struct xp {
	const unsigned char	*key;
	FILE			*out;
	const struct mtable	*t;
	long long		 rows;
};

static int
export_row(json_t *row, void *arg)
{
	struct xp		*x = arg;
	const struct msealed	*m;
	json_t			*rec = NULL, *clear = NULL, *v, *sv = NULL;
	char			*buf = NULL, *line = NULL;
	const char		*k;
	size_t			 i, n;
	int			 ret = -1;

	/* An import in progress elsewhere (store_bulk_quiet()) is not data. */
	if (strcmp(x->t->name, "meta") == 0 && (k = json_string_value(
	    json_object_get(row, "key"))) != NULL && strcmp(k, "bulk") == 0) {
		json_decref(row);
		return 0;
	}
	for (i = 0; i < NSEALED; i++) {
		m = &sealed_cols[i];
		if (strcmp(m->table, x->t->name) != 0 ||
		    !is_sealed(m->table, m->col, row))
			continue;
		v = json_object_get(row, m->col);
		if (m->json) {
			/* vars.value is JSON: the sealed text is a string. */
			json_decref(sv);
			if ((sv = json_loads(json_string_value(v),
			    JSON_DECODE_ANY, NULL)) == NULL ||
			    !json_is_string(sv)) {
				fprintf(stderr, "sipcfg: export --all: a secret "
				    "%s.%s that is not a sealed string\n",
				    m->table, m->col);
				goto out;
			}
			v = sv;
		}
		if (x->key == NULL) {
			fprintf(stderr, "sipcfg: export --all: %s.%s holds "
			    "sealed secrets and there is no seal key to open "
			    "them ($SIPCFG_SEAL_KEY, or the file beside the "
			    "store)\n", m->table, m->col);
			goto out;
		}
		n = json_string_length(v) + 1;
		if ((buf = malloc(n)) == NULL ||
		    seal_open(x->key, m->purpose, json_string_value(v), buf,
		    n) != 0) {
			fprintf(stderr, "sipcfg: export --all: a %s.%s (row "
			    "%s %lld) does not open with this seal key\n",
			    m->table, m->col, x->t->key, (long long)
			    json_integer_value(json_object_get(row,
			    x->t->key)));
			goto out;
		}
		if ((clear == NULL && (clear = json_object()) == NULL) ||
		    json_object_set_new(clear, m->col, json_string(buf)) != 0 ||
		    json_object_set_new(row, m->col, json_null()) != 0) {
			fprintf(stderr, "sipcfg: export --all: a %s.%s that "
			    "is not UTF-8 text\n", m->table, m->col);
			goto out;
		}
		util_wipe(buf, n);
		free(buf);
		buf = NULL;
	}
	if ((rec = json_pack("{s:s, s:O}", "table", x->t->name, "row",
	    row)) == NULL || (clear && json_object_set(rec, "clear",
	    clear) != 0) || (line = json_dumps(rec, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "sipcfg: export --all: out of memory\n");
		goto out;
	}
	if (fprintf(x->out, "%s\n", line) < 0) {
		fprintf(stderr, "sipcfg: export --all: %s\n", strerror(errno));
		goto out;
	}
	x->rows++;
	ret = 0;
out:
	if (buf) {
		util_wipe(buf, strlen(buf));
		free(buf);
	}
	if (line) {
		util_wipe(line, strlen(line));
		free(line);
	}
	json_decref(sv);
	json_decref(clear);
	json_decref(rec);
	json_decref(row);
	return ret;
}

int
storemove_export(struct store *st, const unsigned char *key, FILE *out)
{
	struct xp	 x;
	size_t		 i;

	memset(&x, 0, sizeof(x));
	x.key = key;
	x.out = out;
	fprintf(out, "%s,\"version\":%d}\n", STOREMOVE_MAGIC,
	    STORE_SCHEMA_VERSION);
	for (i = 0; i < NTABLES; i++) {
		x.t = &tables[i];
		if (store_table_each(st, x.t->name, x.t->key, export_row,
		    &x) != STORE_OK) {
			/* export_row said why, else the store does. */
			if (*store_errmsg(st))
				fprintf(stderr, "sipcfg: export --all: %s: "
				    "%s\n", x.t->name, store_errmsg(st));
			return -1;
		}
	}
	fprintf(out, "{\"end\":{\"rows\":%lld}}\n", x.rows);
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "sipcfg: export --all: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ import */

static int
count_one(json_t *row, void *arg)
{
	json_decref(row);
	(*(int *)arg)++;
	return 1;	/* one is enough */
}

/* The target must be new: nothing a store is configured with yet. */
static int
target_empty(struct store *st, const char *name)
{
	static const char *const t[][2] = { { "devices", "id" },
	    { "users", "id" }, { "templates", "id" }, { "profiles", "id" },
	    { "vars", "id" } };
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = 0;
		if (store_table_each(st, t[i][0], t[i][1], count_one, &n) !=
		    STORE_OK && n == 0) {
			fprintf(stderr, "%s: %s\n", name, store_errmsg(st));
			return 0;
		}
		if (n > 0) {
			fprintf(stderr, "%s: a whole store goes into an empty "
			    "one, and this one has %s (make a new one with "
			    "sipcfg init): nothing imported\n", name, t[i][0]);
			return 0;
		}
	}
	return 1;
}

/* One clear value sealed under key as the column keeps it. */
static json_t *
seal_col(const unsigned char *key, const struct msealed *m, json_t *v)
{
	json_t	*out = NULL, *sv;
	char	*s, *js;

	if ((s = seal_seal(key, m->purpose, json_string_value(v),
	    json_string_length(v))) == NULL)
		return NULL;
	if (!m->json)
		out = json_string(s);
	else if ((sv = json_string(s)) != NULL) {
		if ((js = json_dumps(sv, JSON_ENCODE_ANY | JSON_COMPACT)) !=
		    NULL)
			out = json_string(js);
		free(js);
		json_decref(sv);
	}
	free(s);
	return out;
}

/* Seal row's clear columns under the target's key. */
static int
reseal(const unsigned char *key, const char *table, json_t *row,
    json_t *clear, const char *name, long line)
{
	const struct msealed	*m;
	const char		*col;
	json_t			*v, *sealed;

	json_object_foreach(clear, col, v) {
		if ((m = sealed_of(table, col)) == NULL || !json_is_string(v)) {
			fprintf(stderr, "%s:%ld: %s.%s is not a secret a store "
			    "keeps sealed\n", name, line, table, col);
			return -1;
		}
		if (key == NULL) {
			fprintf(stderr, "%s:%ld: the export carries secrets "
			    "and this store has no seal key to seal them "
			    "($SIPCFG_SEAL_KEY; sipcfg init makes one): nothing "
			    "imported\n", name, line);
			return -1;
		}
		if ((sealed = seal_col(key, m, v)) == NULL ||
		    json_object_set_new(row, col, sealed) != 0) {
			fprintf(stderr, "%s:%ld: cannot seal %s.%s\n", name,
			    line, table, col);
			return -1;
		}
	}
	return 0;
}

/*
 * The path rules init made go: the export's are the store's (a pattern
 * is unique, and the export's ids may differ).
 */
static int
collect_pattern(json_t *row, void *arg)
{
	json_t	*a = arg;

	json_array_append(a, json_object_get(row, "pattern"));
	json_decref(row);
	return 0;
}

static int
drop_path_rules(struct store *st, const char *name)
{
	json_t	*a = json_array(), *p;
	size_t	 i;
	int	 ret = -1;

	if (a == NULL || store_table_each(st, "path_rules", "id",
	    collect_pattern, a) != STORE_OK)
		goto out;
	json_array_foreach(a, i, p)
		if (json_is_string(p) && store_path_rule_remove(st,
		    json_string_value(p)) != STORE_OK)
			goto out;
	ret = 0;
out:
	if (ret != 0)
		fprintf(stderr, "%s: %s\n", name, store_errmsg(st));
	json_decref(a);
	return ret;
}

int
storemove_import(struct store *st, const unsigned char *key,
    const char *first, FILE *in, const char *name)
{
	const struct mtable		*t;
	struct store_bulk		*b = NULL;
	struct store_bulk_summary	 sum;
	json_t				*rec = NULL, *row, *clear;
	json_error_t			 je;
	char				*buf = NULL;
	size_t				 cap = 0, i;
	ssize_t				 len;
	long				 line = 1, devices = 0, users = 0;
	long long			 rows = 0;
	int				 ended = 0, ret = -1;

	if ((rec = json_loads(first, 0, &je)) == NULL ||
	    json_integer_value(json_object_get(rec, "version")) !=
	    STORE_SCHEMA_VERSION) {
		fprintf(stderr, "%s:1: a whole store of schema version %lld; "
		    "this sipcfg reads version %d (export it with the same "
		    "version)\n", name, rec ? (long long)json_integer_value(
		    json_object_get(rec, "version")) : -1LL,
		    STORE_SCHEMA_VERSION);
		goto out;
	}
	json_decref(rec);
	rec = NULL;
	if (!target_empty(st, name) || drop_path_rules(st, name) != 0)
		goto out;
	/* One audit row and the change rows, not one per row (store.h). */
	if ((b = store_bulk_new(st)) == NULL ||
	    store_bulk_quiet(b) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", name, store_errmsg(st));
		goto out;
	}
	while ((len = getline(&buf, &cap, in)) != -1) {
		line++;
		if ((size_t)len > LINE_MAX_BYTES) {
			fprintf(stderr, "%s:%ld: line too long\n", name, line);
			goto out;
		}
		if (strspn(buf, " \t\r\n") == (size_t)len)
			continue;
		if (ended) {
			fprintf(stderr, "%s:%ld: data after the end record\n",
			    name, line);
			goto out;
		}
		json_decref(rec);
		if ((rec = json_loads(buf, 0, &je)) == NULL ||
		    !json_is_object(rec)) {
			fprintf(stderr, "%s:%ld: not JSON: %s\n", name, line,
			    rec ? "not an object" : je.text);
			goto out;
		}
		util_wipe(buf, (size_t)len);
		if (json_object_get(rec, "end") != NULL) {
			if (json_integer_value(json_object_get(json_object_get(
			    rec, "end"), "rows")) != rows) {
				fprintf(stderr, "%s:%ld: the end record counts "
				    "%lld rows, %lld came: nothing imported\n",
				    name, line, (long long)json_integer_value(
				    json_object_get(json_object_get(rec, "end"),
				    "rows")), rows);
				goto out;
			}
			ended = 1;
			continue;
		}
		row = json_object_get(rec, "row");
		clear = json_object_get(rec, "clear");
		if ((t = table_of(json_string_value(json_object_get(rec,
		    "table")) ? json_string_value(json_object_get(rec,
		    "table")) : "")) == NULL || !json_is_object(row) ||
		    (clear && !json_is_object(clear))) {
			fprintf(stderr, "%s:%ld: not a row of a table a store "
			    "is moved by\n", name, line);
			goto out;
		}
		if (clear && reseal(key, t->name, row, clear, name, line) != 0)
			goto out;
		if (store_table_put(st, t->name, t->key, row) != STORE_OK) {
			fprintf(stderr, "%s:%ld: %s: %s\n", name, line,
			    t->name, store_errmsg(st));
			goto out;
		}
		if (strcmp(t->name, "devices") == 0) {
			devices++;
			if (store_bulk_touch(b, BULK_DEVICE_ADDED,
			    json_integer_value(json_object_get(row, "id"))) !=
			    STORE_OK)
				goto oom;
		} else if (strcmp(t->name, "users") == 0) {
			users++;
			if (store_bulk_touch(b, BULK_USER_ADDED,
			    json_integer_value(json_object_get(row, "id"))) !=
			    STORE_OK)
				goto oom;
		}
		rows++;
	}
	if (ferror(in)) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		goto out;
	}
	if (!ended) {
		fprintf(stderr, "%s: the export ends early (no end record "
		    "after %lld rows): nothing imported\n", name, rows);
		goto out;
	}
	for (i = 0; i < NTABLES; i++)
		if (store_table_ids(st, tables[i].name) != STORE_OK) {
			fprintf(stderr, "%s: %s: %s\n", name, tables[i].name,
			    store_errmsg(st));
			goto out;
		}
	memset(&sum, 0, sizeof(sum));
	sum.file = name;
	sum.rows = devices;
	sum.added = devices;
	sum.users_added = users;
	if (store_bulk_summary(b, &sum) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", name, store_errmsg(st));
		goto out;
	}
	printf("a whole store imported: %lld rows, %ld devices, %ld users\n",
	    rows, devices, users);
	ret = 0;
	goto out;
oom:
	fprintf(stderr, "%s: out of memory\n", name);
out:
	if (buf) {
		util_wipe(buf, cap);
		free(buf);
	}
	json_decref(rec);
	store_bulk_free(b);
	return ret;
}
