/*
 * stub_db.h: a stand-in for the db_*.c modules in the fuzz targets, answering from a
 * script the input supplies, so that every handler path can be reached
 * without MariaDB.
 */
#ifndef PRODREC_STUB_DB_H
#define PRODREC_STUB_DB_H

#include <stddef.h>

#define STUB_DB_USER	"auth0|alice"	/* who owns the stub's sessions */

/*
 * The answers for the next calls, one character per call, in order:
 *   n  not found        u  unavailable (503)   e  error (500)
 *   d  insert: a duplicate                     s  insert: no session
 *   x  a record with another payload           r  the request's own record
 *   f  a session of another user               c  a closed session
 *   p  a session still open after a close      k  an open whose id is taken
 *   a  a close of a session closed already     w  a record of another session
 *   0-9  records on a page (3 otherwise)
 * Anything else, and every call past the end, is a plain success.  The
 * script is borrowed until the next stub_db_script().
 */
void	stub_db_script(const char *script, size_t len);

#endif
