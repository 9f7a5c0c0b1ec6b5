// CBLAS (its header also declares OpenBLAS's runtime queries) plus the few LAPACK routines (Fortran ABI, shipped
// inside libopenblas) that matgan-dist calls; Debian's OpenBLAS has no LAPACKE header.
#pragma once
#include <cblas.h>

// Cholesky factorisation, solve and inverse (dpotri_), column-major, Fortran calling convention.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info);
