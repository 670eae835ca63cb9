/* tl-server-store-sqlite.h — TlServerStore on SQLite (WAL)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "tl-server-store.h"

G_BEGIN_DECLS

#define TL_TYPE_SERVER_STORE_SQLITE (tl_server_store_sqlite_get_type ())

G_DECLARE_FINAL_TYPE (TlServerStoreSqlite, tl_server_store_sqlite, TL, SERVER_STORE_SQLITE, GObject)

TlServerStore *tl_server_store_sqlite_open (const char  *path,
                                            GError     **error);

G_END_DECLS
