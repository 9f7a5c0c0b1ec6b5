// Models module; its files are being written.
