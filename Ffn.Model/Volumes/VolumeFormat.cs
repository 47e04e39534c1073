namespace Ffn.Model.Volumes;

public enum VolumeFormat { Hdf5, Npy, Npz, Tiff, Zarr }
