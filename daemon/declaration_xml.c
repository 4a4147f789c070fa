/*
 * declaration_xml.c - CEB603 XML front end of the declaration decoder (see the header).
 */
#include "declaration_xml.h"

bool declaration_xml_is_xml(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '<';
    }
    return false;
}
