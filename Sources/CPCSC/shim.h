#ifndef CPCSC_SHIM_H
#define CPCSC_SHIM_H
#include <PCSC/winscard.h>
#include <PCSC/reader.h>

/* SCARD_PCI_T0/T1 are address-of macros Swift cannot import. */
static inline const SCARD_IO_REQUEST *CPCSC_pci_t0(void) { return SCARD_PCI_T0; }
static inline const SCARD_IO_REQUEST *CPCSC_pci_t1(void) { return SCARD_PCI_T1; }
static inline const SCARD_IO_REQUEST *CPCSC_pci_raw(void) { return SCARD_PCI_RAW; }
/* SCARD_CTL_CODE is a function-like macro. */
static inline DWORD CPCSC_ctl_code(DWORD code) { return SCARD_CTL_CODE(code); }
static inline DWORD CPCSC_feature_request(void) { return CM_IOCTL_GET_FEATURE_REQUEST; }
#endif
