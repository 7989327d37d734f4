/* proc.h: process plumbing: daemon, pid file, parent, CPUs, the clock. */
#ifndef PRODREC_PROC_H
#define PRODREC_PROC_H

#include <stddef.h>
#include <stdint.h>

/* proc.c */
int	proc_daemonize(char *err, size_t errsz);
void	proc_ready(void);
int	proc_absolute_path(const char *path, char *out, size_t outsz);
int	proc_pidfile(const char *path, char *err, size_t errsz);
void	proc_pidfile_remove(void);
void	proc_die_with_parent(void);
int	proc_cpus(void);
int	proc_parent_is_apache(void);
int64_t	proc_now_ms(void);

#endif
