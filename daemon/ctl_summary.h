/*
 * ctl_summary.h - `customsctl summary`: the monthly summary declaration (汇总申报, CEB701)
 * of 9610 export inventories closed (899) in a month, from customs.summary_lines
 * (sql/repeatable/65_summary.sql): filed lines for an enterprise that filed the month,
 * computed ones for the others.
 */
#ifndef CUSTOMSD_CTL_SUMMARY_H
#define CUSTOMSD_CTL_SUMMARY_H

#define CTL_SUMMARY_ARGS                                                                           \
    "[-c FILE] --month YYYY-MM [--ebc CODE] [--format text|csv|json|xml] [--file]"

/*
 * summary --month YYYY-MM: the month's lines (per ebcCode, trafMode, ownerCode, country,
 * portCode, 10-digit gcode, currency and legal unit: qty and totalPrice as exact decimals,
 * the number of inventories and their invtNos) and per enterprise the totals, for one
 * enterprise with --ebc. --file files the month first (customs.file_summary: once per
 * enterprise, refused before the month is over in Asia/Shanghai; filing again changes
 * nothing). --format: text for people (default), csv (a header line, one line per summary
 * line, invtNos separated by spaces), json (json-c), xml (a CEB701Message, namespace
 * http://www.chinaport.gov.cn/ceb, one SummaryApply per enterprise, written with libxml2).
 * argv: the arguments after "summary", NULL-terminated. Returns CTL_OPS_EXIT_OK,
 * _NOT_FOUND (nothing closed in that month for the selection, or filing refused),
 * _USAGE or _UNREACHABLE (ctl_ops.h).
 */
int ctl_summary(char **argv);

#endif
