#ifndef CCODECS_H
#define CCODECS_H
int ccodecs_version(void);
#endif
