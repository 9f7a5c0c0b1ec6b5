// zlib, for the gzip-compressed data sets the repository carries (datasets/*.csv.gz).
#pragma once
#include <zlib.h>
