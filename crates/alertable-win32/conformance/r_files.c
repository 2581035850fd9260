/* The file functions around CreateFile, as their documentation pages describe them:
 * GetFileSize(Ex), SetFilePointer(Ex) (FILE_BEGIN/CURRENT/END, the high half,
 * INVALID_SET_FILE_POINTER with NO_ERROR, ERROR_NEGATIVE_SEEK), SetEndOfFile,
 * FlushFileBuffers, GetFileAttributes(Ex), CreateDirectory, RemoveDirectory, CopyFile,
 * MoveFile(Ex), GetTempPath2, FILE_FLAG_DELETE_ON_CLOSE and WriteFile on a standard
 * handle. Paths are built from GetTempPath with '/', which Windows accepts as well. */
#include "conformance.h"
#include <string.h>
#include <wchar.h>

static char dir[MAX_PATH];

/* out = a + b, cut to MAX_PATH - 1 characters. */
static void join(char *out, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAX_PATH - 1)
        la = MAX_PATH - 1;
    if (lb > MAX_PATH - 1 - la)
        lb = MAX_PATH - 1 - la;
    memmove(out, a, la);
    memcpy(out + la, b, lb);
    out[la + lb] = 0;
}

/* dir + name + the process id, so that runs side by side do not meet. */
static void path_in_temp(char *out, const char *name)
{
    char tail[64];
    snprintf(tail, sizeof tail, "%s_%u", name, (unsigned)GetCurrentProcessId());
    join(out, dir, tail);
}

static int exists(const char *path)
{
    return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

int main(void)
{
    /* GetTempPath2: the same directory as GetTempPath for a process that is not SYSTEM. */
    char dir2[MAX_PATH];
    DWORD n1 = GetTempPathA(MAX_PATH, dir);
    DWORD n2 = GetTempPath2A(MAX_PATH, dir2);
    printf("GetTempPath2A: same %d, size asked for %d\n", n1 == n2 && strcmp(dir, dir2) == 0,
           GetTempPath2A(0, NULL) == n1 + 1);
    WCHAR wdir[MAX_PATH], wdir2[MAX_PATH];
    n1 = GetTempPathW(MAX_PATH, wdir);
    n2 = GetTempPath2W(MAX_PATH, wdir2);
    printf("GetTempPath2W: same %d\n", n1 == n2 && wcscmp(wdir, wdir2) == 0);

    /* Size and position. */
    char name[MAX_PATH];
    temp_file_name("rfs", name);
    HANDLE h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD n = 0;
    BOOL ok = WriteFile(h, "0123456789", 10, &n, NULL);
    DWORD high = 7;
    DWORD low = GetFileSize(h, &high);
    printf("GetFileSize: %d, %u high %u\n", ok, (unsigned)low, (unsigned)high);
    LARGE_INTEGER size;
    size.QuadPart = -1;
    ok = GetFileSizeEx(h, &size);
    printf("GetFileSizeEx: %d, %lld\n", ok, (long long)size.QuadPart);
    SetLastError(0xdead);
    low = GetFileSize(NULL, NULL);
    printf("GetFileSize(NULL): %u, error %u\n", (unsigned)low, LAST_ERROR());

    DWORD b = SetFilePointer(h, 3, NULL, FILE_BEGIN);
    DWORD c = SetFilePointer(h, 2, NULL, FILE_CURRENT);
    DWORD e = SetFilePointer(h, -1, NULL, FILE_END);
    char ch = 0;
    ok = ReadFile(h, &ch, 1, &n, NULL);
    printf("SetFilePointer: begin %u, current %u, end %u; read %d '%c'\n", (unsigned)b,
           (unsigned)c, (unsigned)e, ok, ch);
    SetLastError(0xdead);
    DWORD neg = SetFilePointer(h, -20, NULL, FILE_CURRENT);
    unsigned neg_error = LAST_ERROR();
    DWORD kept = SetFilePointer(h, 0, NULL, FILE_CURRENT);
    printf("before the start: %u, error %u; position kept %u\n", (unsigned)neg, neg_error,
           (unsigned)kept);
    SetLastError(0xdead);
    DWORD bad = SetFilePointer(h, 0, NULL, 3);
    printf("unknown method: %u, error %u\n", (unsigned)bad, LAST_ERROR());
    LONG hi = 1;
    low = SetFilePointer(h, 5, &hi, FILE_BEGIN);
    printf("4 GiB + 5: low %u, high %ld\n", (unsigned)low, (long)hi);
    hi = 0;
    SetLastError(0xdead);
    low = SetFilePointer(h, (LONG)0xFFFFFFFF, &hi, FILE_BEGIN);
    printf("0xFFFFFFFF: low %u, high %ld, error %u\n", (unsigned)low, (long)hi, LAST_ERROR());
    LARGE_INTEGER d, np;
    d.QuadPart = 4;
    np.QuadPart = -1;
    ok = SetFilePointerEx(h, d, &np, FILE_BEGIN);
    printf("SetFilePointerEx: %d, %lld\n", ok, (long long)np.QuadPart);
    d.QuadPart = -5;
    SetLastError(0xdead);
    ok = SetFilePointerEx(h, d, NULL, FILE_CURRENT);
    printf("SetFilePointerEx before the start: %d, error %u\n", ok, LAST_ERROR());

    /* The end of the file moves to the position, down or up. */
    ok = SetEndOfFile(h);
    low = GetFileSize(h, NULL);
    SetFilePointer(h, 100, NULL, FILE_BEGIN);
    BOOL ok2 = SetEndOfFile(h);
    DWORD grown = GetFileSize(h, NULL);
    SetFilePointer(h, 50, NULL, FILE_BEGIN);
    ch = 'x';
    BOOL r = ReadFile(h, &ch, 1, &n, NULL);
    printf("SetEndOfFile: %d size %u; %d size %u, zero-filled %d\n", ok, (unsigned)low, ok2,
           (unsigned)grown, r && n == 1 && ch == 0);
    printf("FlushFileBuffers: %d\n", FlushFileBuffers(h));
    HANDLE ro = CreateFileA(name, GENERIC_READ, 7, NULL, OPEN_EXISTING, 0, NULL);
    SetLastError(0xdead);
    ok = SetEndOfFile(ro);
    unsigned end_error = LAST_ERROR();
    SetLastError(0xdead);
    ok2 = FlushFileBuffers(ro);
    printf("read-only handle: SetEndOfFile %d, error %u; FlushFileBuffers %d, error %u\n", ok,
           end_error, ok2, LAST_ERROR());
    CloseHandle(ro);
    SetFilePointer(h, 10, NULL, FILE_BEGIN);
    SetEndOfFile(h);
    CloseHandle(h);

    /* Attributes. */
    DWORD fa = GetFileAttributesA(name), da = GetFileAttributesA(dir);
    printf("GetFileAttributesA: file directory %d readonly %d; folder directory %d\n",
           (fa & FILE_ATTRIBUTE_DIRECTORY) != 0, (fa & FILE_ATTRIBUTE_READONLY) != 0,
           (da & FILE_ATTRIBUTE_DIRECTORY) != 0);
    char missing[MAX_PATH], deep[MAX_PATH];
    path_in_temp(missing, "rfs_missing");
    join(deep, missing, "/x");
    SetLastError(0xdead);
    fa = GetFileAttributesA(missing);
    unsigned missing_error = LAST_ERROR();
    SetLastError(0xdead);
    da = GetFileAttributesA(deep);
    printf("missing: %d error %u; missing folder: %d error %u\n", fa == INVALID_FILE_ATTRIBUTES,
           missing_error, da == INVALID_FILE_ATTRIBUTES, LAST_ERROR());
    WIN32_FILE_ATTRIBUTE_DATA data;
    memset(&data, 0xff, sizeof data);
    ok = GetFileAttributesExA(name, GetFileExInfoStandard, &data);
    printf("GetFileAttributesExA: %d, directory %d, size %u high %u, written %d\n", ok,
           (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0, (unsigned)data.nFileSizeLow,
           (unsigned)data.nFileSizeHigh,
           data.ftLastWriteTime.dwHighDateTime != 0 && data.ftLastWriteTime.dwHighDateTime != 0xffffffff);
    SetLastError(0xdead);
    ok = GetFileAttributesExA(name, GetFileExMaxInfoLevel, &data);
    printf("GetFileAttributesExA(GetFileExMaxInfoLevel): %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdead);
    ok = GetFileAttributesExA(missing, GetFileExInfoStandard, &data);
    printf("GetFileAttributesExA(missing): %d, error %u\n", ok, LAST_ERROR());

    /* Folders. */
    char folder[MAX_PATH], inner[MAX_PATH], nested[MAX_PATH];
    path_in_temp(folder, "rfs_dir");
    join(inner, folder, "/f");
    join(nested, folder, "/a/b");
    ok = CreateDirectoryA(folder, NULL);
    SetLastError(0xdead);
    ok2 = CreateDirectoryA(folder, NULL);
    printf("CreateDirectoryA: %d; again %d, error %u\n", ok, ok2, LAST_ERROR());
    SetLastError(0xdead);
    ok = CreateDirectoryA(nested, NULL);
    printf("CreateDirectoryA without the parent: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdead);
    ok = CreateDirectoryA(name, NULL);
    printf("CreateDirectoryA on a file: %d, error %u\n", ok, LAST_ERROR());
    h = CreateFileA(inner, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
    CloseHandle(h);
    SetLastError(0xdead);
    ok = RemoveDirectoryA(folder);
    printf("RemoveDirectoryA not empty: %d, error %u\n", ok, LAST_ERROR());
    SetLastError(0xdead);
    ok = RemoveDirectoryA(inner);
    printf("RemoveDirectoryA on a file: %d, error %u\n", ok, LAST_ERROR());
    DeleteFileA(inner);
    ok = RemoveDirectoryA(folder);
    SetLastError(0xdead);
    ok2 = RemoveDirectoryA(folder);
    printf("RemoveDirectoryA: %d, exists %d; again %d, error %u\n", ok, exists(folder), ok2,
           LAST_ERROR());
    WCHAR wfolder[MAX_PATH];
    swprintf(wfolder, MAX_PATH, L"%lsrfs_wdir_%u", wdir, (unsigned)GetCurrentProcessId());
    ok = CreateDirectoryW(wfolder, NULL);
    da = GetFileAttributesW(wfolder);
    ok2 = RemoveDirectoryW(wfolder);
    printf("CreateDirectoryW: %d, directory %d, RemoveDirectoryW %d\n", ok,
           da != INVALID_FILE_ATTRIBUTES && (da & FILE_ATTRIBUTE_DIRECTORY) != 0, ok2);

    /* Copies and moves. */
    char a[MAX_PATH], bname[MAX_PATH];
    path_in_temp(a, "rfs_a");
    path_in_temp(bname, "rfs_b");
    ok = CopyFileA(name, a, TRUE);
    SetLastError(0xdead);
    ok2 = CopyFileA(name, a, TRUE);
    unsigned copy_error = LAST_ERROR();
    BOOL ok3 = CopyFileA(name, a, FALSE);
    printf("CopyFileA: %d; fail if exists %d, error %u; overwrite %d\n", ok, ok2, copy_error,
           ok3);
    SetLastError(0xdead);
    ok = CopyFileA(missing, bname, FALSE);
    printf("CopyFileA from a missing file: %d, error %u\n", ok, LAST_ERROR());
    data.nFileSizeLow = 0;
    GetFileAttributesExA(a, GetFileExInfoStandard, &data);
    printf("copy size %u\n", (unsigned)data.nFileSizeLow);
    ok = MoveFileExA(a, bname, 0);
    printf("MoveFileExA: %d, source exists %d, target exists %d\n", ok, exists(a),
           exists(bname));
    CopyFileA(name, a, FALSE);
    SetLastError(0xdead);
    ok = MoveFileExA(a, bname, 0);
    unsigned move_error = LAST_ERROR();
    ok2 = MoveFileExA(a, bname, MOVEFILE_REPLACE_EXISTING);
    printf("MoveFileExA onto a file: %d, error %u; MOVEFILE_REPLACE_EXISTING %d, source exists %d\n",
           ok, move_error, ok2, exists(a));
    ok = MoveFileExA(bname, a, MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED | MOVEFILE_WRITE_THROUGH);
    printf("MoveFileExA with every flag: %d\n", ok);
    ok = MoveFileA(a, bname);
    SetLastError(0xdead);
    ok2 = MoveFileA(name, bname);
    printf("MoveFileA: %d; onto a file %d, error %u\n", ok, ok2, LAST_ERROR());
    SetLastError(0xdead);
    ok = MoveFileExA(missing, a, 0);
    printf("MoveFileExA from a missing file: %d, error %u\n", ok, LAST_ERROR());
    DeleteFileA(bname);

    /* FILE_FLAG_DELETE_ON_CLOSE: the file goes when its last handle is closed. */
    char doomed[MAX_PATH];
    temp_file_name("rfd", doomed);
    HANDLE d1 = CreateFileA(doomed, GENERIC_READ | GENERIC_WRITE,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                            OPEN_EXISTING, FILE_FLAG_DELETE_ON_CLOSE, NULL);
    HANDLE d2 = NULL;
    DuplicateHandle(GetCurrentProcess(), d1, GetCurrentProcess(), &d2, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
    CloseHandle(d1);
    int after_first = exists(doomed);
    CloseHandle(d2);
    SetLastError(0xdead);
    int after_last = exists(doomed);
    printf("FILE_FLAG_DELETE_ON_CLOSE: exists after the first close %d, after the last %d, error %u\n",
           after_first, after_last, LAST_ERROR());

    /* WriteFile on standard output. */
    fflush(stdout);
    static const char line[] = "WriteFile on standard output\n";
    n = 0;
    ok = WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), line, (DWORD)strlen(line), &n, NULL);
    printf("WriteFile: %d, %u bytes\n", ok, (unsigned)n);

    DeleteFileA(name);
    return 0;
}
