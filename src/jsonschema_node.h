/* SPDX-License-Identifier: MIT */
/* The compiled form of a JSON Schema, private to the schema modules: jsonschema.c builds
 * and validates it, jsonschema_gen.c builds instances from it. Nothing else includes this
 * header; everyone else sees struct jsonschema as opaque (jsonschema.h). */
#pragma once
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

struct regex;

/* The type bits of struct node's types: one per JSON Schema type name. */
enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_INTEGER = 1 << 2,
	T_NUMBER = 1 << 3,
	T_STRING = 1 << 4,
	T_ARRAY = 1 << 5,
	T_OBJECT = 1 << 6,
};

/* The formats checked (FMT_INT32..FMT_DOUBLE on numbers, the rest on strings); any other
 * `format` is an annotation (FMT_NONE). */
enum format {
	FMT_NONE, FMT_INT32, FMT_INT64, FMT_FLOAT, FMT_DOUBLE, FMT_DATE, FMT_DATE_TIME,
	FMT_EMAIL, FMT_UUID, FMT_URI, FMT_IPV4, FMT_IPV6, FMT_BYTE,
};

struct node;

struct prop {
	char *name;                 /* in the block of its node's props, after them */
	size_t len;                 /* strlen(name) */
	struct node *schema;
	bool required;              /* named in `required`, and the first property of its name */
	bool plain;                 /* no '"' or '\\' in name: a member name written as name is it */
	/* The member's start as bodies mostly write it, '"' name '"' ':', in head[i] where
	 * head_mask[i] is 0xFF (a plain name of up to PROP_HEAD_MAX bytes; else a NUL for the
	 * opening quote, which no member matches): the fast check matches name, quotes and
	 * colon with two masked word compares. */
	unsigned char head[16], head_mask[16];
};

/* the longest name struct prop's head holds: with its quotes and the colon, 16 bytes */
#define PROP_HEAD_MAX 13

/* "no such property" in jsonschema_node_find_prop's answer and struct node's req_prop */
#define NODE_NO_PROP SIZE_MAX

struct pattern_prop {
	struct regex *re;
	struct node *schema;
};

struct mapping {
	char *value;
	struct node *schema;
};

struct list {
	struct node **v;
	size_t n;
};

/* struct node's fast: what the fast check (jsonschema_fast.c) learns at one glance */
enum {
	NODE_UNDECIDED = 1 << 0,    /* has what the fast check leaves to the validator: anyOf,
				     * oneOf, not, a discriminator, uniqueItems, patternProperties */
	NODE_INERT = 1 << 1,        /* asks nothing of a value itself (its $ref and allOf aside) */
	NODE_ALONE = 1 << 2,        /* none of the above, no $ref, no allOf, not `false`: in
				     * effect by itself */
	NODE_STR_CHECKS = 1 << 3,   /* has a keyword a string is checked against beyond its
				     * type: enum, const, pattern, a format, min/maxLength */
};

/* One schema object. A `$ref` target is one node however often it is referred to, so a
 * recursive schema is a graph with cycles (through ref, props, items, ...).
 *
 * The fields are in the order the fast check (jsonschema_fast.c) reads them: what every
 * value needs in the first 64 bytes, the scalar keywords in the next, the rest after. A
 * request body's check touches a few dozen nodes that the network stack has pushed out
 * of the cache since the last request; one line a node instead of four was measurable. */
struct node {
	/* every value: the first cache line */
	unsigned char fast;         /* NODE_UNDECIDED, NODE_INERT: set once the schema is compiled */
	bool never;                 /* the schema `false` */
	bool props_dup;             /* two properties share a name: a member matches both */
	bool no_additional;         /* additionalProperties: false */
	unsigned types;             /* T_* bits; 0: any */
	struct node *ref;           /* `$ref`'s target */
	struct list all_of;
	struct prop *props;
	size_t nprops;
	struct node *items;
	struct node *additional;
	/* scalars: the second */
	enum format format;
	bool has_min, has_max, excl_min, excl_max;
	struct regex *pattern;
	const cJSON *enum_values;   /* borrowed array */
	const cJSON *const_value;   /* borrowed */
	long min_length, max_length; /* -1: none */
	double min, max;
	double multiple_of;         /* 0: none */
	/* containers' counts and required names */
	long min_items, max_items, min_props, max_props; /* -1: none */
	/* `required` indexed at compile time, so that an object's members are matched once:
	 * required[i] names props[req_prop[i]] (the first of that name), or no property
	 * (NODE_NO_PROP); nreq_props properties have .required set; req_other holds the
	 * nreq_other distinct required names that are no property (borrowed from required) */
	size_t nreq_props;
	size_t nreq_other;
	const char **req_other;
	size_t *req_prop;
	char **required;
	size_t nrequired;
	/* what the fast check leaves to the validator */
	bool unique_items;
	struct pattern_prop *pprops;
	size_t npprops;
	struct list any_of, one_of;
	struct node *not;
	char *disc_prop;            /* discriminator.propertyName */
	struct mapping *disc_map;   /* explicit mapping, then the implicit names of $ref branches */
	size_t ndisc_map;
	unsigned first_type;        /* the T_* bit of the first non-null type as written
				     * (`type: [string, integer]`: T_STRING); 0: none */
	/* annotations, for jsonschema_gen: nothing validates them */
	const cJSON *example;       /* borrowed: `example`, or the first of 3.1's `examples` */
	const cJSON *default_value; /* borrowed: `default` */
	bool read_only, write_only; /* `readOnly: true`, `writeOnly: true` */
};

struct jsonschema {
	struct node *root;
	struct node **nodes;        /* every node, for destroy */
	size_t nnodes, cap;
};

/* Where the validator and the fast check (jsonschema_fast.c) share a keyword's meaning. */

/** The index of the first property of n named name[0..len), or NODE_NO_PROP. *next is
 *  where to look first (the property after the one matched before: bodies mostly list
 *  their members in the schema's order), and gets the index after the one found. */
size_t jsonschema_node_find_prop(const struct node *n, const char *name, size_t len, size_t *next);

/** Whether d is below n's minimum (exclusive or not). */
static inline bool node_below_min(const struct node *n, double d)
{
	return n->has_min && (n->excl_min ? d <= n->min : d < n->min);
}

/** Whether d is above n's maximum (exclusive or not). */
static inline bool node_above_max(const struct node *n, double d)
{
	return n->has_max && (n->excl_max ? d >= n->max : d > n->max);
}

/** Whether n has a multipleOf that d is not a multiple of (within a relative 1e-9). */
static inline bool node_not_multiple(const struct node *n, double d)
{
	if (n->multiple_of <= 0)
		return false;
	double q = d / n->multiple_of;
	return !isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q));
}

/** The value of a number: cJSON's, or a cJSON_Raw holding a number as written. */
bool jsonschema_number_of(const cJSON *item, double *out);
/** Whether d meets number format f (FMT_INT32..FMT_DOUBLE; true for any other). */
bool jsonschema_format_number(enum format f, double d);
/** Whether s[0..len) meets string format f (FMT_DATE..FMT_BYTE; true for any other). s
 *  holds no NUL (as a cJSON string): the fast check passes the text as written. */
bool jsonschema_format_string(enum format f, const char *s, size_t len);

/** Whether v is valid against n (as jsonschema_validate against a schema whose root is n,
 *  without building error messages). steps, unless NULL, gets the validation's steps
 *  added (generation keeps its own budget). Thread-safe. */
bool jsonschema_node_valid(const struct node *n, const cJSON *v, size_t *steps);
