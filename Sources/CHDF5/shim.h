// HDF5's native type ids and file-access flags are macros that expand to library globals
// (valid only after H5open); these accessors make them callable from Swift.
#pragma once
#include <hdf5.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline hid_t chdf5_native_uint8(void) { H5open(); return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_native_int32(void) { H5open(); return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_int64(void) { H5open(); return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint64(void) { H5open(); return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_native_float(void) { H5open(); return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { H5open(); return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_c_s1(void) { H5open(); return H5T_C_S1; }

static inline hid_t chdf5_file_create_plist(void) { H5open(); return H5P_FILE_CREATE; }
static inline hid_t chdf5_file_access_plist(void) { H5open(); return H5P_FILE_ACCESS; }
static inline hid_t chdf5_dataset_create_plist(void) { H5open(); return H5P_DATASET_CREATE; }
static inline hid_t chdf5_link_create_plist(void) { H5open(); return H5P_LINK_CREATE; }

static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hsize_t chdf5_unlimited(void) { return H5S_UNLIMITED; }
static inline hid_t chdf5_error_default(void) { return H5E_DEFAULT; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }
// `H5P_DEFAULT` and `H5S_ALL` import as Int32; these give them as hid_t.
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_all(void) { return H5S_ALL; }
static inline unsigned chdf5_obj_all(void) { return H5F_OBJ_ALL; }

// An anonymous in-memory file (memfd_create, close-on-exec), which File.abandonWrites puts
// under a file that can no longer be written; glibc declares memfd_create only under
// _GNU_SOURCE, which Swift's Glibc module leaves undefined.
static inline int chdf5_memory_file(void) { return (int)syscall(SYS_memfd_create, "abandoned HDF5 file", 1u); }
