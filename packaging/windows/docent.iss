; Inno Setup 6 script: a Windows installer around the one-folder freeze of packaging/docent.spec.
; Build steps (PowerShell, from the repository root): packaging/windows/build.ps1, which runs
;   iscc /DAppVersion=<version> /DBuildDir=<repo>\build packaging\windows\docent.iss
; The installer needs no administrator rights (per-user install; an admin may choose all users).
; User data is never here: it lives in %LOCALAPPDATA%\docent (platformdirs), so an upgrade or an
; uninstall leaves every library, chat and setting in place.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BuildDir
  #define BuildDir "..\..\build"
#endif

[Setup]
; The AppId never changes: it is what makes a newer installer upgrade this one in place.
AppId={{6E0B8C51-5C1B-4C4D-9B8E-0D0C5E7A2F31}
AppName=Docent
AppVersion={#AppVersion}
AppPublisher=Docent
AppComments=Ask questions about your documents, offline, with cited answers
DefaultDirName={autopf}\Docent
DefaultGroupName=Docent
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#BuildDir}
OutputBaseFilename=Docent-{#AppVersion}-setup
SetupIconFile={#BuildDir}\pyinstaller\icons\docent.ico
UninstallDisplayIcon={app}\docent-window.exe
Compression=lzma2/fast
SolidCompression=no
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the docent command to PATH (for scripts)"; Flags: unchecked

[Files]
; The whole freeze. Upgrades replace it entirely: stale files of an older version are removed first.
Source: "{#BuildDir}\dist\docent\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Docent"; Filename: "{app}\docent-window.exe"; Comment: "Ask questions about your documents"
Name: "{autodesktop}\Docent"; Filename: "{app}\docent-window.exe"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; \
  Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\docent-window.exe"; Description: "{cm:LaunchProgram,Docent}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;
