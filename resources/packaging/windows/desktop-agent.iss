; Inno Setup 6 script: turns PyInstaller's one-folder Windows build into a per-user setup program.
; UNTESTED: written for Windows, where neither this script nor the build it packages has been run (the project is
; built and tested on Debian). .ci/desktop-packages.yml runs it on a Windows runner.
;
;   python build_installer.py --smoke
;   iscc /DAppVersion=0.1.0 resources\packaging\windows\desktop-agent.iss
;
; Output: dist\desktop-agent-<version>-windows-setup.exe. Installs into %LOCALAPPDATA%\Programs\Desktop Agent (no
; administrator rights), with a Start menu entry and an optional desktop icon. Uninstall from Settings > Apps removes
; the program folder; the user's settings (%LOCALAPPDATA%\desktop-agent), conversation history and keys (Windows
; Credential Manager) stay. "Start on login" is the app's own setting (Settings > Desktop), written to the current
; user's Run key, which the uninstaller removes too.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Desktop Agent"
#define SourceDir "..\..\..\dist\Desktop Agent"

[Setup]
AppId={{6A0F5C1E-2B7D-4C8E-9F31-5D2A7E4B8C10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Desktop Agent
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
OutputDir=..\..\..\dist
OutputBaseFilename=desktop-agent-{#AppVersion}-windows-setup
SetupIconFile=..\..\..\build\installer\icons\desktop-agent.ico
UninstallDisplayIcon={app}\{#AppName}.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppName}.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#AppName}.exe"; Tasks: desktopicon

[Registry]
; The app writes this value when "Start on login" is ticked; the uninstaller takes it away with the program.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: none; ValueName: "{#AppName}"; Flags: uninsdeletevalue dontcreatekey

[Run]
Filename: "{app}\{#AppName}.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
