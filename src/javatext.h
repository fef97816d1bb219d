/* SPDX-License-Identifier: MIT */
/* Values as WireMock's Java libraries print them into a template: Double.toString, and a
 * JSON value as the `jsonPath` helper renders it (Jackson's pretty printer for objects,
 * json-smart's compact form for arrays). Pure functions, any thread. */
#pragma once
#include "json.h"

struct strbuf;

/** Appends d as Java's Double.toString: "1.5", "1000.0", "1.0E-5", "1.23456785E7" (the
 *  shortest digits that read back as d). */
void javatext_double(struct strbuf *out, double d);

/** Appends v as `{{jsonPath ...}}` renders a result: a string unquoted, true/false, an
 *  object as Jackson's pretty print, an array as json-smart's compact JSON; null appends
 *  nothing. A number as Java holds it after json-smart's parse: written without a fraction
 *  or exponent, an integer as written; else a Double (javatext_double), or a BigDecimal
 *  when its text is longer than 18 characters. That needs the number's text: a cJSON_Raw
 *  item from json_parse_exact. A plain cJSON number prints integral values as integers
 *  (cJSON cannot tell 1 from 1.0) and others as javatext_double. */
void javatext_json_value(struct strbuf *out, const cJSON *v);
